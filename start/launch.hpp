// launch - the steps of start (qmail-start): the accounts, the optional logger, the pipes,
// the spawners and clean, and finally this process becoming send, so that supervise's
// signals reach send directly.
//
//     start::Args const args = start::parse_args(argc, argv);
//     start::Setup const setup = start::setup_or_die();        // root, accounts, umask
//     int log_fd = start::start_logger_or_die(setup, args);    // fd 1 without a logger
//     start::Pipes pipes = start::make_pipes_or_die();
//     start::start_helpers_or_die(setup, args, pipes);         // lspawn, rspawn, clean
//     start::become_send(setup, log_fd, pipes);                // never returns
//
// Descriptors and accounts (docs/INTERNALS.md, "Delivery processes"):
//   send   (mss:mailsuite)  0 log, 1 -> lspawn, 2 <- lspawn, 3 -> rspawn, 4 <- rspawn,
//                           5 -> clean, 6 <- clean
//   lspawn (root:mailsuite) 0 commands, 1 results, 2 start's stderr
//   rspawn (msr:mailsuite)  the same; only when ROOT/bin/rspawn exists. Without it send's
//                           fd 4 yields the single byte 0 (no slots) and then end of file,
//                           and fd 3 is /dev/null: remote deliveries stay queued.
//   clean  (msq:mailsuite)  0 requests, 1 replies, 2 start's stderr
//   logger (msl:msnofiles)  0 send's log, 1 and 2 start's
// Everyone gets delivery_environment() (lib/spawn_driver.hpp), umask 077 and "/" as the
// working directory. Every failure before send runs is fatal (111, one line on stderr);
// helpers already started then see end of file on their pipes and exit.
#pragma once

#include "fd.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace start {

inline constexpr char const* kDefaultDelivery = "./Maildir/";

struct Args {
    std::string default_delivery = kDefaultDelivery;
    std::vector<std::string> logger; // program and arguments; empty: none
};

// `start [defaultdelivery [logger args...]]`; pure.
Args parse_args(int argc, char const* const* argv);

struct Setup {
    std::string root;
    uid_t send_uid, queue_uid, remote_uid, log_uid;
    gid_t mail_gid, nofiles_gid;
    std::vector<std::string> env;
};

// Checks that this process is root and can find every program it will start; looks up
// the accounts; umask 077; chdir "/"; makes sure descriptors 0, 1 and 2 are open.
// Blocks SIGTERM, SIGALRM and SIGHUP until send takes them: a TERM that arrives while
// start sets up (e.g. mailctl stop right after a restart) stays pending across the exec,
// and send then exits in order instead of start dying half-way. The helpers start with
// no signal blocked (Child::spawn).
void hold_signals_for_send();

Setup setup_or_die();

// The program to run for name: name itself when it holds '/', else the first executable
// file called name in ROOT/bin or in one of the directories of path.
std::optional<std::string> find_program(
    std::string const& name, std::string const& root, std::string_view path);

// The descriptor send logs to: a pipe to the logger, or 1 when there is none.
int start_logger_or_die(Setup const& setup, Args const& args);

struct Pipes {
    mta::Pipe lspawn_commands, lspawn_results, rspawn_commands, rspawn_results, clean_requests,
        clean_replies;
};
Pipes make_pipes_or_die();

void start_helpers_or_die(Setup const& setup, Args const& args, Pipes& pipes);

// Makes descriptor i of this process a copy of fds[i], as one parallel assignment (a
// source may be a target too); the copies kept along the way are close-on-exec.
mta::Status install_fds(std::vector<int> const& fds);

[[noreturn]] void become_send(Setup const& setup, int log_fd, Pipes& pipes);

} // namespace start
