// exit_codes - the only place where exit-status numbers are written down.
//
// Every program exits 0 (done), 100 (permanent failure: retrying will not help) or 111
// (temporary failure: try again later). The queue program keeps qmail-queue's codes so
// that existing callers and replacements interoperate; kQueue* below. Rule for callers:
// 11..40 is permanent, everything else temporary.
#pragma once

namespace mta {

inline constexpr int kExitOk = 0;
inline constexpr int kExitPerm = 100;
inline constexpr int kExitTemp = 111;
// A program named in a .qmail file exits 99: delivered, skip the remaining lines.
inline constexpr int kExitDeliveredStop = 99;

inline constexpr int kQueueAddressTooLong = 11;
inline constexpr int kQueuePermRefusal = 31;
inline constexpr int kQueueNoMemory = 51;
inline constexpr int kQueueTimeout = 52;
inline constexpr int kQueueWriteError = 53;
inline constexpr int kQueueReadError = 54;
inline constexpr int kQueueConfigError = 55;
inline constexpr int kQueueNetworkError = 56;
inline constexpr int kQueueHomeTrouble = 61;
inline constexpr int kQueueDirTrouble = 62;
inline constexpr int kQueuePidTrouble = 63;
inline constexpr int kQueueMessTrouble = 64;
inline constexpr int kQueueIntdTrouble = 65;
inline constexpr int kQueueTodoTrouble = 66;
inline constexpr int kQueueTempRefusal = 71;
inline constexpr int kQueueConnTimeout = 72;
inline constexpr int kQueueConnRejected = 73;
inline constexpr int kQueueConnFailed = 74;
inline constexpr int kQueueCustomReply = 82; // text on fd 6: D... permanent, Z... temporary
inline constexpr int kQueueBug = 81;
inline constexpr int kQueueEnvelopeFormat = 91;

// True for the queue's permanent exit codes (11..40).
constexpr bool queue_exit_is_permanent(int code)
{
    return code >= 11 && code <= 40;
}

} // namespace mta
