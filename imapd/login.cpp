#include "login.hpp"

#include "base64.hpp"
#include "parser.hpp"

namespace imapd {

namespace {

LoginStep reply(std::string text, LoginAction action = LoginAction::none)
{
    LoginStep s;
    s.reply = std::move(text);
    s.action = action;
    return s;
}

} // namespace

std::string Login::capabilities() const
{
    std::string caps = "IMAP4rev1 LITERAL+ SASL-IR ID";
    if (m_policy.tls_available && !m_policy.tls_active)
        caps += " STARTTLS";
    caps += plaintext_allowed() ? " AUTH=PLAIN" : " LOGINDISABLED";
    return caps;
}

void Login::tls_started()
{
    m_policy.tls_active = true;
}

LoginStep Login::handle(std::string const& text)
{
    Cursor c(text);
    auto tag = c.tag();
    if (!tag || !c.sp())
        return reply("* BAD missing tag or command\r\n");
    auto verb_atom = c.atom();
    std::string const verb = verb_atom ? upper(*verb_atom) : std::string();
    std::string const& t = *tag;
    m_last_tag = t;
    if (verb == "CAPABILITY" && c.at_end())
        return reply(
            "* CAPABILITY " + capabilities() + "\r\n" + t + " OK CAPABILITY completed\r\n");
    if (verb == "NOOP" && c.at_end())
        return reply(t + " OK NOOP completed\r\n");
    if (verb == "LOGOUT" && c.at_end())
        return reply("* BYE logging out\r\n" + t + " OK LOGOUT completed\r\n", LoginAction::logout);
    if (verb == "ID" && c.sp())
        return reply("* ID (\"name\" \"mail-suite imapd\")\r\n" + t + " OK ID completed\r\n");
    if (verb == "STARTTLS" && c.at_end()) {
        if (!m_policy.tls_available || m_policy.tls_active)
            return reply(t + " BAD STARTTLS not available\r\n");
        return reply(t + " OK begin TLS negotiation now\r\n", LoginAction::starttls);
    }
    if (verb == "LOGIN")
        return login_command(t, c);
    if (verb == "AUTHENTICATE")
        return authenticate_command(t, c);
    if (verb == "SELECT" || verb == "EXAMINE" || verb == "LIST" || verb == "FETCH"
        || verb == "STATUS" || verb == "APPEND" || verb == "CREATE")
        return reply(t + " BAD log in first\r\n");
    return reply(t + " BAD unknown command or wrong state\r\n");
}

// LOGIN user password.
LoginStep Login::login_command(std::string const& t, Cursor& c)
{
    auto user = c.sp() ? c.astring() : std::nullopt;
    auto pass = user && c.sp() ? c.astring() : std::nullopt;
    if (!pass || !c.at_end())
        return reply(t + " BAD LOGIN user password expected\r\n");
    if (!plaintext_allowed())
        return reply(t + " NO [PRIVACYREQUIRED] use STARTTLS first\r\n");
    LoginStep s = reply("", LoginAction::authenticate);
    s.tag = t;
    s.login = std::move(*user);
    s.password = std::move(*pass);
    return s;
}

// AUTHENTICATE PLAIN, with the initial response (SASL-IR) or a continuation.
LoginStep Login::authenticate_command(std::string const& t, Cursor& c)
{
    auto mechanism = c.sp() ? c.atom() : std::nullopt;
    if (!mechanism)
        return reply(t + " BAD AUTHENTICATE mechanism expected\r\n");
    if (upper(*mechanism) != "PLAIN")
        return reply(t + " NO unsupported authentication mechanism\r\n");
    if (!plaintext_allowed())
        return reply(t + " NO [PRIVACYREQUIRED] use STARTTLS first\r\n");
    if (c.at_end()) {
        m_sasl_tag = t;
        return reply("+ \r\n", LoginAction::sasl_continue);
    }
    auto initial = c.sp() ? c.atom() : std::nullopt;
    if (!initial || !c.at_end())
        return reply(t + " BAD invalid initial response\r\n");
    return sasl_plain(*initial == "=" ? std::string_view() : std::string_view(*initial));
}

LoginStep Login::sasl_response(std::string_view line)
{
    m_last_tag = m_sasl_tag;
    m_sasl_tag.clear();
    if (line == "*")
        return reply(m_last_tag + " BAD authentication cancelled\r\n");
    return sasl_plain(line);
}

LoginStep Login::sasl_plain(std::string_view base64)
{
    std::string const& t = m_last_tag;
    auto decoded = mta::decode_base64(base64);
    if (!decoded)
        return reply(t + " BAD invalid base64\r\n");
    size_t const a = decoded->find('\0');
    size_t const b = a == std::string::npos ? a : decoded->find('\0', a + 1);
    if (b == std::string::npos || decoded->find('\0', b + 1) != std::string::npos)
        return reply(t + " BAD invalid PLAIN response\r\n");
    std::string const authzid = decoded->substr(0, a);
    LoginStep s = reply("", LoginAction::authenticate);
    s.tag = t;
    s.login = decoded->substr(a + 1, b - a - 1);
    s.password = decoded->substr(b + 1);
    std::fill(decoded->begin(), decoded->end(), '\0');
    if (!authzid.empty() && authzid != s.login)
        return reply(t + " NO [AUTHORIZATIONFAILED] cannot act as another user\r\n");
    return s;
}

LoginStep Login::login_failed(bool temporary)
{
    std::string const& t = m_last_tag;
    if (temporary)
        return reply(t + " NO [UNAVAILABLE] login temporarily unavailable\r\n");
    if (++m_failures >= 3)
        return reply(
            t + " NO [AUTHENTICATIONFAILED] invalid credentials\r\n* BYE too many failures\r\n",
            LoginAction::logout);
    return reply(t + " NO [AUTHENTICATIONFAILED] invalid credentials\r\n");
}

} // namespace imapd
