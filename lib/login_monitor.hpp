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
//                    afterwards (through TLS when it is on).
//   session (owner)  the mailbox protocol on fd 0/1.
//
//     auto code = mta::login::run_monitor({ "imapd", false, log_fn, warn_fn });
//     if (!code) mta::log::fatal(111, "monitor", code.error());
//
// Errors are Result values; nothing here exits or prints. The monitor's log lines ("login
// for U from IP", "login failed ...", "login deferred ...") go to options.log, a
// checkpassword program that cannot start to options.warn.
#pragma once

#include "buffer.hpp"
#include "error.hpp"
#include "tls.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace mta::login {

inline constexpr int kMonitorFd = 3;
inline constexpr int kSessionFd = 4;

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

enum class Answer { good, bad, temporary };
// Front side: one login question to the monitor (fd 3). A lost monitor is an Error.
Result<Answer> ask_monitor(std::string_view login, std::string_view password);

// Front side, after a good login: bytes between the client (in/out, possibly through
// TLS; bytes already buffered in `in` go first) and the session on fd 4, until either
// side closes.
Status relay(Reader& in, Writer& out);

// The client connection of a front: fd 0 and 1, plaintext until start_tls(). Keep it in
// place: after start_tls() its reader and writer call into its TLS session.
struct FrontConnection {
    explicit FrontConnection(int timeout_ms);

    Reader in;
    Writer out;
    std::optional<tls::Session> tls;
    int timeout_ms;

    // The server side of a handshake on fd 0/1 (bounded by timeout_ms); afterwards in
    // and out go through the session. Input buffered before it is the caller's to drop.
    Status start_tls(tls::Context const& ctx);
    // Flushes what is buffered and, under TLS, sends close_notify (best effort).
    void finish();
};

// The server context from ROOT/control/tls/cert.pem and key.pem: nothing when cert.pem
// does not exist, an Error when the pair is unusable (tls::last_error_text() says why).
Result<std::optional<tls::Context>> load_front_tls(std::string const& root);

// TCPREMOTEIP is a loopback address (127.0.0.0/8, ::1, ::ffff:127.x.y.z).
bool is_loopback(std::string_view ip);

} // namespace mta::login
