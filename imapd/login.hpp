// login - the not-authenticated state of IMAP (RFC 3501 6.1-6.2: CAPABILITY, NOOP,
// LOGOUT, STARTTLS, LOGIN, AUTHENTICATE PLAIN with SASL-IR, RFC 4959; and ID) as a pure
// state machine: the front process feeds it commands and carries out the actions.
//
//     imapd::Login login({ .tls_available = true, .loopback = false });
//     imapd::LoginStep s = login.handle(command_text);    // from the CommandReader
//     write(s.reply);
//     if (s.action == imapd::LoginAction::authenticate) ask(s.login, s.password);
//
// Plaintext logins are refused before TLS except from loopback (`NO [PRIVACYREQUIRED]`,
// and CAPABILITY says LOGINDISABLED). Three failed logins close the connection.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace imapd {

class Cursor; // parser.hpp

struct LoginPolicy {
    bool tls_available = false; // a certificate is configured: STARTTLS is offered
    bool loopback = false; // plaintext logins allowed without TLS
    bool tls_active = false; // implicit TLS (993) or after STARTTLS
};

enum class LoginAction {
    none, // send the reply
    authenticate, // check login/password; then the front answers (tag in the step)
    starttls, // send the reply, then the handshake
    logout, // send the reply, then close
    sasl_continue, // send the reply ("+ "), the next line is the SASL response
};

struct LoginStep {
    std::string reply;
    LoginAction action = LoginAction::none;
    std::string tag;
    std::string login;
    std::string password;
};

class Login {
public:
    explicit Login(LoginPolicy policy)
        : m_policy(policy)
    {
    }
    // One whole command (tag, verb, arguments; literals inline).
    LoginStep handle(std::string const& text);
    // The line that follows a "+ " continuation of AUTHENTICATE.
    LoginStep sasl_response(std::string_view line);
    void tls_started();
    // After the monitor said no (or could not decide): the tagged NO, or BYE at the end.
    LoginStep login_failed(bool temporary);
    std::string capabilities() const;

private:
    bool plaintext_allowed() const { return m_policy.tls_active || m_policy.loopback; }
    LoginStep login_command(std::string const& t, Cursor& c);
    LoginStep authenticate_command(std::string const& t, Cursor& c);
    LoginStep sasl_plain(std::string_view base64);

    LoginPolicy m_policy;
    std::string m_sasl_tag; // AUTHENTICATE waiting for its response
    std::string m_last_tag;
    int m_failures = 0;
};

} // namespace imapd
