// front_policy - the exits that pop3d's and imapd's pre-login fronts share: program
// policy, kept in lib only because both programs use it (like log::fatal, these end the
// process; lib/login_front holds the parts that return errors).
//
//     mta::login::FrontConnection c(timeout_ms);
//     auto setup = mta::login::set_up_or_exit(c, implicit_tls);  // 111 on a broken install
//     ...
//     mta::login::start_tls_or_exit(c, *setup.tls);               // after STLS / STARTTLS
//     mta::login::bye(c, 0);                                       // flush, close_notify, _exit
//
// Messages go to stderr through lib/log (the service's log): "unable to find the install
// root", "no TLS: ..." (a warning), "no usable control/tls/cert.pem for implicit TLS"
// (111), "TLS handshake failed: ..." (0: the client's problem, not the server's).
#pragma once

#include "login_front.hpp"
#include "tls.hpp"

namespace mta::login {

// Flushes what is buffered, sends close_notify under TLS, and ends the process with code.
[[noreturn]] void bye(FrontConnection& c, int code);

// The server side of a TLS handshake on the connection; a failed one ends the process.
void start_tls_or_exit(FrontConnection& c, tls::Context const& ctx);

// set_up_front(), with its warning logged; with implicit_tls, the handshake too.
FrontSetup set_up_or_exit(FrontConnection& c, bool implicit_tls);

} // namespace mta::login
