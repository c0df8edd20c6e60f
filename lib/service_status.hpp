// service_status - a supervised service as daemontools' supervise leaves it on disk: the
// 18-byte supervise/status record, the supervise/control and supervise/ok fifos, and our
// own supervise/restarts counter. Shared by supervise/ (which writes them) and mailctl
// (which reads them); byte-compatible with daemontools 0.76, so Debian's svstat, svc and
// svok work on our services and ours on theirs.
//
//     auto st = mta::read_status("/var/mail-suite/service/smtp");
//     if (!st) return st.error();             // "bad format" when shorter than 18 bytes
//     std::string text = mta::describe_status(*st, normally_up, ::time(nullptr));
//     if (auto sent = mta::send_control(dir, "d"); !sent) ...   // ENXIO: not running
//
// Record layout (daemontools supervise.c): bytes 0-7 the TAI64 second of the last pid
// change (2^62 + 10 + unix second, big-endian), 8-11 its nanosecond (big-endian), 12-15
// the pid (little-endian, 0 = down), 16 the paused flag, 17 'u' (want up), 'd' (want
// down) or 0 (run once). Errors are Result values carrying errno; nothing here prints.
#pragma once

#include "error.hpp"

#include <cstddef>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace mta {

inline constexpr size_t kStatusSize = 18;

struct ServiceStatus {
    struct timespec changed { }; // when the pid last changed
    pid_t pid = 0; // 0: down
    bool paused = false;
    char want = 'u'; // 'u', 'd', or 0 (run once)
};

std::string encode_status(ServiceStatus const& status);
// Error::plain("bad format") when bytes holds fewer than kStatusSize bytes.
Result<ServiceStatus> decode_status(std::string_view bytes);

// svstat's words after "DIR: ", e.g. "up (pid 123) 45 seconds, normally down".
// normally_up: DIR/down does not exist. Seconds are whole seconds since the change,
// 0 when the change lies in the future.
std::string describe_status(ServiceStatus const& status, bool normally_up, time_t now);

// DIR/supervise/status.
Result<ServiceStatus> read_status(std::string const& dir);

// True when a supervise runs for DIR (DIR/supervise/ok has a reader); false when the
// fifo is missing or has no reader (ENOENT, ENXIO); an Error for other failures.
Result<bool> supervise_running(std::string const& dir);

// Writes the control bytes to DIR/supervise/control, as svc does. Error errno ENXIO
// "supervise not running" when no supervise reads the fifo.
Status send_control(std::string const& dir, std::string_view commands);

// Our supervise's count of restarts (./run started again after it exited on its own)
// in DIR/supervise/restarts; nullopt when the file is missing (e.g. Debian's supervise).
std::optional<unsigned long> read_restarts(std::string const& dir);

} // namespace mta
