// processes - the three processes of a POP3 connection (docs/pop3.md); the monitor and
// the fd 3/4 protocol between them are lib/login_monitor.hpp's:
//
//   monitor (root)   `pop3d [--tls]`: mta::login::run_monitor({ "pop3d", ... }), started by
//                    tcpserver; never reads the network. Starts the front as msd, and for
//                    each login the front asks about, runs the checkpassword program
//                    (ROOT/bin/auth, setuid msp; or control/checkpassword) as msd with the
//                    credentials on fd 3; when it says yes, starts the session as the
//                    mailbox owner and tells the front.
//   front (msd)      `pop3d --front plain|tls`: greeting, CAPA, STLS/implicit TLS, USER/
//                    PASS, AUTH PLAIN; fd 3 is the monitor (a SOCK_SEQPACKET socket), fd 4
//                    the session. After a login it only relays bytes between the client
//                    (through TLS) and the session (mta::login::relay).
//   session (owner)  `pop3d --session MAILDIR LOGIN`: the TRANSACTION state on fd 0/1
//                    (the other end of the front's fd 4), in the Maildir.
// `pop3d --report` (mta::login::run_report) is what the checkpassword program runs after a
// good login: it writes USER NUL HOME NUL to fd 1 (a pipe to the monitor).
#pragma once

#include <string>

namespace pop3d {

int run_front(bool implicit_tls);
int run_session(std::string const& maildir, std::string const& login);

} // namespace pop3d
