// startup - send's steps before the main loop. Each ends the process when it fails, with
// an alert line on the log (fd 0) and exit 111, as qmail-send's "alert: cannot start:".
//
//     send::ActivityLog log(0);
//     std::string root = send::enter_root(log);
//     send::Config config = send::load_config_or_die(root, log);
//     send::enter_queue(log);                          // ROOT/queue, umask 077
//     mta::Fd mutex = send::take_mutex(log);           // lock/sendmutex, our pid inside
//     send::Spawners s = send::read_spawners(config, log);
//
// The mutex file also tells `mailctl flush` whom to signal: while send runs it holds an
// exclusive flock on queue/lock/sendmutex and the file holds its pid and a newline.
#pragma once

#include "activity_log.hpp"
#include "config.hpp"
#include "fd.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace send {

// Descriptors of the spawn protocol (qmail-send's): commands out, results in.
inline constexpr int kLocalCommandFd = 1;
inline constexpr int kLocalResultFd = 2;
inline constexpr int kRemoteCommandFd = 3;
inline constexpr int kRemoteResultFd = 4;
inline constexpr int kCleanRequestFd = 5;
inline constexpr int kCleanReplyFd = 6;

[[noreturn]] void cannot_start(ActivityLog& log, std::string_view why, int exit_code);

std::string enter_root(ActivityLog& log);
Config load_config_or_die(std::string const& root, ActivityLog& log);
void enter_queue(ActivityLog& log);
mta::Fd take_mutex(ActivityLog& log);
// At a clean exit: the pid is taken out of the mutex file.
void release_mutex(mta::Fd& mutex);

struct Spawners {
    unsigned local = 0; // slots: min(concurrencylocal, lspawn's byte)
    std::optional<unsigned> remote; // nullopt: remote deliveries on hold
};

// Reads each spawner's concurrency byte: lspawn's on fd 2 is required; rspawn's on fd 4
// may be 0 or missing (fd 3 or 4 not open, or end of file): no rspawn, and the remote
// channel is on hold (as when concurrencyremote is 0).
Spawners read_spawners(Config const& config, ActivityLog& log);

} // namespace send
