// login_monitor - the privilege-separated login of a mailbox server, shared by pop3d and
// imapd (each keeps only its protocol's front and session), as three processes per
// connection (docs/pop3.md, docs/imap.md):
//
//   monitor (root)   run_monitor(): started by tcpserver, never reads the network. Starts
//                    `ROOT/bin/PROGRAM --front plain|tls` as msd with fd 3 (a SEQPACKET
//                    socket to the monitor) and fd 4 (a stream socket for the session);
//                    for each "login NUL password NUL" packet on fd 3 it runs the
//                    checkpassword program (control/checkpassword, default ROOT/bin/auth)
//                    as msd with `ROOT/bin/PROGRAM --report` after it; on success it starts
//                    `ROOT/bin/PROGRAM --session MAILDIR LOGIN` as the mailbox owner with
//                    fd 0/1 on the other end of the front's fd 4, and answers 'Y' (else
//                    'N' bad, 'T' temporary).
//   front (msd)      the protocol's pre-login state; ask_monitor() for a login, relay()
//                    afterwards (through TLS when it is on): lib/login_front.hpp.
//   session (owner)  the mailbox protocol on fd 0/1.
//
//     auto code = mta::login::run_monitor({ "imapd", false, log_fn, warn_fn });
//     if (!code) mta::log::fatal(111, "monitor", code.error());
//
// Errors are Result values; nothing here exits or prints. The monitor's log lines ("login
// for U from IP", "login failed ...", "login deferred ...") go to options.log, a
// checkpassword program that cannot start to options.warn.
#pragma once

#include "error.hpp"

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace mta::login {

inline constexpr int kMonitorFd = 3;
inline constexpr int kSessionFd = 4;
// The longest "login NUL password NUL" packet; a longer login is a bad one.
inline constexpr size_t kMaxLoginPacket = 512;

struct MonitorOptions {
    std::string program; // "imapd": ROOT/bin/imapd is started for the other processes
    bool implicit_tls = false;
    std::function<void(std::string const&)> log;
    // Problems that do not end the connection (the checkpassword program cannot start);
    // none when empty.
    std::function<void(std::string const&, Error)> warn;
};

// The monitor; returns the exit code once the connection is over.
Result<int> run_monitor(MonitorOptions const& options);

// What the checkpassword program runs after a good login: USER NUL HOME NUL on fd 1.
int run_report();

// The monitor's answer to a login question ('Y', 'N' or 'T' on fd 3).
enum class Answer { good, bad, temporary };

// TCPREMOTEIP is a loopback address (127.0.0.0/8, ::1, ::ffff:127.x.y.z).
bool is_loopback(std::string_view ip);

} // namespace mta::login
