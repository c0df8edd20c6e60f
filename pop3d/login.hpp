// login - the AUTHORIZATION state of a POP3 session (RFC 1939 USER/PASS, RFC 5034 AUTH
// PLAIN, RFC 2595 STLS, RFC 2449 CAPA) as a pure state machine: the front process feeds
// it lines and carries out the actions it returns. Fuzzed by fuzz/pop3_fuzz.cpp.
//
//     pop3d::Login login({ .tls_available = true, .loopback = false });
//     pop3d::Step s = login.handle_line("USER joe@example.org");
//     write(s.reply);                                 // "+OK ...\r\n"
//     if (s.action == pop3d::Action::authenticate) check(s.login, s.password);
#pragma once

#include <string>
#include <string_view>

namespace pop3d {

struct Policy {
    bool tls_available = false; // a certificate is configured: STLS is offered
    bool loopback = false; // the client is on a loopback address: plaintext logins allowed
    bool tls_active = false; // implicit TLS (port 995) or after STLS
};

enum class Action {
    none, // just send reply
    authenticate, // check login/password; the front replies itself
    starttls, // send reply, then the TLS handshake
    quit, // send reply, then close
    close, // send reply (an error), then close
};

struct Step {
    std::string reply; // complete lines with CRLF; may be empty
    Action action = Action::none;
    std::string login;
    std::string password;
};

class Login {
public:
    explicit Login(Policy policy);

    Step handle_line(std::string_view line);
    // After the handshake of STLS: USER is forgotten (RFC 2595).
    void tls_started();
    // After a failed check; returns the reply (and close once there were too many).
    Step login_failed(bool temporary);

    // The CAPA reply for this state.
    std::string capabilities() const;

private:
    bool plaintext_allowed() const { return m_policy.tls_active || m_policy.loopback; }
    Step error(std::string const& text);
    Step stls(bool has_arg);
    Step user(std::string const& name);
    Step pass(bool has_arg, std::string const& password);
    Step auth(std::string const& arg);
    Step sasl_plain(std::string_view response);

    Policy m_policy;
    std::string m_user; // after USER
    bool m_sasl_pending = false; // after "AUTH PLAIN" without initial response
    int m_errors = 0;
    int m_failures = 0;
};

} // namespace pop3d
