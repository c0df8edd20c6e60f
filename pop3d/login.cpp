#include "login.hpp"

#include "base64.hpp"
#include "command.hpp"

namespace pop3d {

namespace {

constexpr const char* kPlaintextRefused
    = "-ERR [AUTH] plaintext login refused: use STLS (or port 995) first";

Step reply(std::string text, Action action = Action::none)
{
    Step s;
    s.reply = std::move(text);
    s.action = action;
    return s;
}

} // namespace

Login::Login(Policy policy)
    : m_policy(policy)
{
}

std::string Login::capabilities() const
{
    std::string out = "+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\n"
                      "AUTH-RESP-CODE\r\nPIPELINING\r\n";
    if (plaintext_allowed())
        out += "USER\r\nSASL PLAIN\r\n";
    if (m_policy.tls_available && !m_policy.tls_active)
        out += "STLS\r\n";
    out += "IMPLEMENTATION mail-suite\r\n.\r\n";
    return out;
}

Step Login::error(std::string const& text)
{
    if (++m_errors >= kMaxErrors)
        return reply(text + "\r\n-ERR too many errors, closing the connection\r\n", Action::close);
    return reply(text + "\r\n");
}

void Login::tls_started()
{
    m_policy.tls_active = true;
    m_user.clear();
    m_sasl_pending = false;
}

Step Login::login_failed(bool temporary)
{
    m_user.clear();
    if (temporary)
        return reply("-ERR [SYS/TEMP] unable to check the password now, try again later\r\n");
    if (++m_failures >= kMaxLoginFailures)
        return reply("-ERR [AUTH] invalid user name or password; too many failures, closing\r\n",
            Action::close);
    return reply("-ERR [AUTH] invalid user name or password\r\n");
}

Step Login::sasl_plain(std::string_view response)
{
    if (response == "*")
        return error("-ERR authentication cancelled");
    std::optional<std::string> decoded;
    if (response == "=")
        decoded = std::string();
    else
        decoded = mta::decode_base64(response);
    if (!decoded)
        return error("-ERR [AUTH] malformed base64 in the PLAIN response");
    // authzid NUL authcid NUL passwd
    size_t const first = decoded->find('\0');
    size_t const second = first == std::string::npos ? first : decoded->find('\0', first + 1);
    if (second == std::string::npos || decoded->find('\0', second + 1) != std::string::npos)
        return error("-ERR [AUTH] malformed PLAIN response (authzid NUL authcid NUL password)");
    std::string const authzid = decoded->substr(0, first);
    Step s;
    s.login = decoded->substr(first + 1, second - first - 1);
    s.password = decoded->substr(second + 1);
    if (s.login.empty())
        return error("-ERR [AUTH] empty user name in the PLAIN response");
    if (!authzid.empty() && authzid != s.login)
        return error("-ERR [AUTH] acting as another user is not allowed");
    s.action = Action::authenticate;
    return s;
}

Step Login::auth(std::string const& arg)
{
    auto args = split_args(arg);
    if (arg.empty() || args.size() > 2)
        return error("-ERR syntax error: AUTH mechanism [initial-response]");
    std::string mechanism(args[0]);
    for (char& c : mechanism)
        if (c >= 'a' && c <= 'z')
            c = static_cast<char>(c - 'a' + 'A');
    if (mechanism != "PLAIN")
        return error("-ERR unsupported authentication mechanism (only PLAIN)");
    if (!plaintext_allowed())
        return error(kPlaintextRefused);
    if (args.size() == 2)
        return sasl_plain(args[1]);
    m_sasl_pending = true;
    return reply("+ \r\n");
}

Step Login::stls(bool has_arg)
{
    if (has_arg)
        return error("-ERR syntax error: STLS takes no argument");
    if (m_policy.tls_active)
        return error("-ERR TLS is already active");
    if (!m_policy.tls_available)
        return error("-ERR STLS is not available (no certificate)");
    return reply("+OK begin TLS negotiation\r\n", Action::starttls);
}

Step Login::user(std::string const& name)
{
    if (!plaintext_allowed())
        return error(kPlaintextRefused);
    if (name.empty())
        return error("-ERR syntax error: USER name");
    if (name.size() > 255)
        return error("-ERR user name too long");
    m_user = name;
    return reply("+OK send PASS\r\n");
}

Step Login::pass(bool has_arg, std::string const& password)
{
    if (m_user.empty())
        return error("-ERR USER first");
    if (!has_arg)
        return error("-ERR syntax error: PASS password");
    Step s;
    s.action = Action::authenticate;
    s.login = m_user;
    s.password = password;
    m_user.clear();
    return s;
}

Step Login::handle_line(std::string_view line)
{
    if (m_sasl_pending) {
        m_sasl_pending = false;
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        return sasl_plain(line);
    }
    Command const c = parse_command(line);
    switch (c.verb) {
    case Verb::empty:
        return error("-ERR empty command");
    case Verb::unknown:
        return error("-ERR unknown command");
    case Verb::capa:
        return c.has_arg ? error("-ERR syntax error: CAPA takes no argument")
                         : reply(capabilities());
    case Verb::quit:
        return c.has_arg ? error("-ERR syntax error: QUIT takes no argument")
                         : reply("+OK bye\r\n", Action::quit);
    case Verb::stls:
        return stls(c.has_arg);
    case Verb::user:
        return user(c.arg);
    case Verb::pass:
        return pass(c.has_arg, c.arg);
    case Verb::auth:
        return auth(c.arg);
    case Verb::apop:
        return error("-ERR APOP is not supported (passwords are stored hashed)");
    case Verb::noop:
    case Verb::stat:
    case Verb::list:
    case Verb::retr:
    case Verb::dele:
    case Verb::rset:
    case Verb::top:
    case Verb::uidl:
        return error("-ERR not logged in: log in first");
    }
    return error("-ERR unknown command");
}

} // namespace pop3d
