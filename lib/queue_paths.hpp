// queue_paths - the layout of the queue directory, shared by queue, clean, send and
// `mailctl queue` (qmail-behaviour.md section 2, with todo/ and intd/ hashed too).
//
//     // after chdir(ROOT/queue):
//     std::string mess = mta::hashed_path(mta::kMessDir, 12345);  // "mess/17/12345"
//     std::string todo = mta::hashed_path(mta::kTodoDir, 12345);  // "todo/17/12345"
//     auto n = mta::parse_message_number("12345");                      // 12345
//
// A message's number N is the inode number of its mess file; every hashed directory keeps
// N in its subdirectory N % kSplit. Paths are relative to ROOT/queue, where the queue
// programs run. Pure functions: nothing here touches the disk or fails.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mta {

// Flat directories.
inline constexpr std::string_view kPidDir = "pid"; // temporary names that yield an inode
inline constexpr std::string_view kBounceDir = "bounce";
inline constexpr std::string_view kLockDir = "lock";
// Hashed directories: DIR/(N % kSplit)/N.
inline constexpr std::string_view kMessDir = "mess"; // the message, Received line first
inline constexpr std::string_view kIntdDir = "intd"; // envelope under construction
inline constexpr std::string_view kTodoDir = "todo"; // link of intd: queued (commit point)
inline constexpr std::string_view kInfoDir = "info"; // preprocessed: F<sender>
inline constexpr std::string_view kLocalDir = "local"; // preprocessed: local recipients
inline constexpr std::string_view kRemoteDir = "remote"; // preprocessed: remote recipients
// Files in lock/.
inline constexpr std::string_view kTriggerPath = "lock/trigger"; // fifo send listens on
inline constexpr std::string_view kSendMutexPath = "lock/sendmutex";
inline constexpr std::string_view kTcptoPath = "lock/tcpto";

// The queue's subdirectory for message n in a hashed directory: "mess/17".
std::string hashed_dir(std::string_view dir, unsigned long n);
// The path of message n in a hashed directory: "mess/17/12345".
std::string hashed_path(std::string_view dir, unsigned long n);
// The path of message n in a flat directory: "bounce/12345".
std::string flat_path(std::string_view dir, unsigned long n);

// A message number written as decimal digits only (no sign, no blanks, at least one
// digit, no overflow); nullopt otherwise.
std::optional<unsigned long> parse_message_number(std::string_view text);

} // namespace mta
