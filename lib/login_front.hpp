// login_front - the front's side of the privilege-separated login (lib/login_monitor.hpp),
// shared by pop3d and imapd: the set-up every front does before its greeting, the client
// connection (plaintext until start_tls()), one login question to the monitor, and the
// relay to the session after a good login.
//
//     auto setup = mta::login::set_up_front();
//     if (!setup) mta::log::fatal(111, "unable to find the install root", setup.error());
//     mta::login::FrontConnection c(timeout_ms);
//     if (auto st = c.start_tls(*setup->tls); !st)
//         die("TLS handshake failed: " + mta::login::tls_error_text(st.error()));
//     auto answer = mta::login::ask_monitor(login, password);
//     if (answer && *answer == mta::login::Answer::good) mta::login::relay(c.in, c.out);
//
// Errors are Result values; nothing here exits or prints: each front keeps its own texts
// and exit codes.
#pragma once

#include "buffer.hpp"
#include "error.hpp"
#include "login_monitor.hpp"
#include "tls.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace mta::login {

// What a front has before its greeting.
struct FrontSetup {
    std::string root;
    std::optional<tls::Context> tls; // none: no control/tls/cert.pem, or an unusable pair
    std::string tls_problem; // why the pair is unusable (tls_error_text()); "" otherwise
    bool loopback = false; // TCPREMOTEIP is a loopback address
};

// The first steps of every front: SIGPIPE ignored, TCP_NODELAY on fd 1, the install root
// and load_front_tls(). Fails only as install_root() does.
Result<FrontSetup> set_up_front();

// An Error of a TLS step with OpenSSL's text of it: "TEXT DETAIL". The detail is read
// (and cleared) here, so call it right after the step that failed.
std::string tls_error_text(Error error);

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

} // namespace mta::login
