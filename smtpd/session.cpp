#include "session.hpp"

#include "base64.hpp"
#include "control.hpp"
#include "exit_codes.hpp"
#include "log.hpp"
#include "received.hpp"

#include <algorithm>
#include <ctime>
#include <unistd.h>

namespace smtpd {

namespace {

// A client's text for the log: bytes outside '!'..'~' become '?', at most
// kMaxLogField bytes of it (then "...").
constexpr std::size_t kMaxLogField = 200;

std::string log_safe(std::string_view text)
{
    std::string out;
    for (char c : text.substr(0, kMaxLogField))
        out += c > ' ' && c <= '~' ? c : '?';
    if (text.size() > kMaxLogField)
        out += "...";
    return out;
}

// "smtpd: text" on standard error, in one write (tcpserver's log, multilog).
void log_line(std::string_view text)
{
    std::string line = std::string(mta::log::program()) + ": ";
    line += text;
    line += '\n';
    (void)!::write(2, line.data(), line.size());
}

// The address of a MAIL or RCPT argument as the client wrote it ("FROM:<a@b> SIZE=9"
// -> "a@b"), whether or not it parses.
std::string_view argument_address(std::string_view arg)
{
    if (auto const colon = arg.find(':'); colon != std::string_view::npos)
        arg.remove_prefix(colon + 1);
    while (!arg.empty() && arg.front() == ' ')
        arg.remove_prefix(1);
    if (arg.empty() || arg.front() != '<')
        return arg.substr(0, arg.find(' '));
    arg.remove_prefix(1);
    return arg.substr(0, arg.find('>'));
}

} // namespace

Session::Session(Config const& config)
    : m_config(config)
    , m_in(0, config.timeout_ms)
    , m_out(1, config.timeout_ms)
    , m_reception(m_in)
    , m_mailboxes(config.root + "/users/recipients.cdb")
    , m_locals(config.root)
{
}

// --- output ----------------------------------------------------------------------------

void Session::reply(std::string_view line)
{
    if (m_verb && !m_refusal_logged && !line.empty() && (line[0] == '4' || line[0] == '5'))
        log_refusal(line);
    std::string text(line);
    text += "\r\n";
    if (auto st = m_out.put(text); !st)
        ::_exit(0); // the client is gone
}

void Session::error(std::string_view line)
{
    reply(line);
    if (++m_errors >= kMaxErrors)
        close_with("421 4.7.0 " + m_config.greeting + " too many errors, closing connection");
}

void Session::flush()
{
    if (auto st = m_out.flush(); !st)
        ::_exit(0);
}

void Session::close_with(std::string_view line)
{
    reply(line);
    (void)m_out.flush();
    if (m_tls)
        m_tls->shutdown();
    ::_exit(0);
}

void Session::input_failed(mta::Error error)
{
    if (error.errnum == ETIMEDOUT)
        close_with("421 4.4.2 " + m_config.greeting + " timeout, closing connection");
    if (m_data_filter || m_tx.filter)
        message_lost(error);
    ::_exit(0); // the connection broke or ended between messages: nobody to tell
}

// The input ended (or broke) in DATA or between BDAT chunks: the queue program removes
// what it got, and the log says that a message was lost, exit 111 (qmail-smtpd's
// die_read). A client that ends lines with LF alone never ends DATA: the line says so.
void Session::message_lost(mta::Error error)
{
    MessageFilter const* filter = m_data_filter ? m_data_filter : &*m_tx.filter;
    std::string text = std::string("end of input inside ") + (m_data_filter ? "DATA" : "BDAT")
        + " from " + safe_text(m_config.remote_ip, true);
    if (error.errnum != 0)
        text += " (" + error.text() + ")";
    text += "; the message was not accepted";
    if (m_data_filter && filter->problem() == Problem::bare_lf)
        text += " (bare LF line ends; DATA ends only at CRLF . CRLF)";
    log_line(text);
    ::_exit(mta::kExitTemp);
}

// One line per refused MAIL, RCPT, DATA or BDAT (any 4xx or 5xx reply), at most
// kMaxRefusalLogs in a session: a client's bad commands cannot flood the log.
void Session::log_refusal(std::string_view line)
{
    m_refusal_logged = true;
    if (m_refusals > kMaxRefusalLogs)
        return;
    std::string text
        = std::string("refused ") + m_verb + " from " + safe_text(m_config.remote_ip, true) + ": ";
    if (++m_refusals > kMaxRefusalLogs)
        text += "more than " + std::to_string(kMaxRefusalLogs)
            + " refusals, the rest of this session's are not logged";
    else
        text += std::string(line) + ";" + m_refusal_context + " helo=<" + log_safe(m_helo) + ">";
    log_line(text);
}

// " from=<sender> to=<recipient>" as far as they are known when cmd arrives.
std::string Session::refusal_context(Command const& cmd) const
{
    std::string text;
    if (cmd.verb == Verb::mail)
        return " from=<" + log_safe(argument_address(cmd.argument)) + ">";
    if (m_tx.has_mail)
        text = " from=<" + log_safe(m_tx.sender) + ">";
    if (cmd.verb == Verb::rcpt)
        text += " to=<" + log_safe(argument_address(cmd.argument)) + ">";
    else if (!m_tx.recipients.empty())
        text += " to=<" + log_safe(m_tx.recipients.front())
            + "> nrcpt=" + std::to_string(m_tx.recipients.size());
    return text;
}

// --- the command loop --------------------------------------------------------------------

void Session::serve()
{
    if (m_config.implicit_tls)
        start_tls();
    reply("220 " + m_config.greeting + " ESMTP");
    while (next_command()) { }
}

bool Session::next_command()
{
    if (!m_in.has_buffered())
        flush();
    auto got = m_in.get_line(m_line, kMaxCommandBytes);
    if (!got)
        input_failed(got.error());
    if (*got == mta::LineStatus::eof || *got == mta::LineStatus::partial) {
        if (m_tx.filter)
            message_lost(mta::Error::plain("end of input"));
        return false;
    }
    if (*got == mta::LineStatus::too_long) {
        if (auto st = m_in.skip_line(); !st)
            input_failed(st.error());
        error("500 5.5.2 line too long");
        return true;
    }
    if (m_line.find('\0') != std::string::npos) {
        error("500 5.5.2 NUL byte in command");
        return true;
    }
    Command const cmd = parse_command(m_line);
    m_verb = nullptr;
    m_refusal_logged = false;
    if (cmd.verb == Verb::mail || cmd.verb == Verb::rcpt || cmd.verb == Verb::data
        || cmd.verb == Verb::bdat) {
        m_verb = cmd.verb == Verb::mail ? "MAIL"
            : cmd.verb == Verb::rcpt    ? "RCPT"
            : cmd.verb == Verb::data    ? "DATA"
                                        : "BDAT";
        m_refusal_context = refusal_context(cmd);
    }
    dispatch(cmd);
    m_verb = nullptr;
    return true;
}

void Session::dispatch(Command const& cmd)
{
    switch (cmd.verb) {
    case Verb::helo:
        return helo(cmd.argument, false);
    case Verb::ehlo:
        return helo(cmd.argument, true);
    case Verb::mail:
        return mail(cmd.argument);
    case Verb::rcpt:
        return rcpt(cmd.argument);
    case Verb::data:
        return data(cmd.argument);
    case Verb::bdat:
        return bdat(cmd.argument);
    case Verb::rset:
        reset();
        return reply("250 2.0.0 flushed");
    case Verb::noop:
        return reply("250 2.0.0 ok");
    case Verb::vrfy:
        return reply("252 2.0.0 send some mail, I'll try my best");
    case Verb::help:
        return reply("214 2.0.0 mail-suite smtpd, see RFC 5321");
    case Verb::quit:
        return quit();
    case Verb::starttls:
        return starttls(cmd.argument);
    case Verb::auth:
        return auth(cmd.argument);
    case Verb::unknown:
        break;
    }
    error("502 5.5.1 unimplemented");
}

// --- the commands ------------------------------------------------------------------------

void Session::helo(std::string_view arg, bool esmtp)
{
    if (arg.empty())
        return error(esmtp ? "501 5.5.4 syntax: EHLO hostname" : "501 5.5.4 syntax: HELO hostname");
    reset();
    m_helo = std::string(arg.substr(0, 255));
    m_esmtp = esmtp;
    if (!esmtp)
        return reply("250 " + m_config.greeting);
    std::string text = "250-" + m_config.greeting + "\r\n250-PIPELINING\r\n250-8BITMIME\r\n";
    text += m_config.databytes ? "250-SIZE " + std::to_string(m_config.databytes) : "250-SIZE";
    text += "\r\n250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n";
    if (auth_offered())
        text += "250-AUTH PLAIN LOGIN\r\n";
    bool const tls_offer = m_config.tls_files && !m_tls && !m_config.local_user;
    text += tls_offer ? "250-CHUNKING\r\n250 STARTTLS" : "250 CHUNKING";
    reply(text);
}

void Session::mail(std::string_view arg)
{
    if (m_tx.has_mail)
        return error("503 5.5.1 nested MAIL command");
    auto parsed = parse_mail(arg);
    if (auto* bad = std::get_if<ArgError>(&parsed))
        return error(bad->reply);
    auto& args = std::get<MailArgs>(parsed);
    if (m_config.submission && m_login.empty() && !m_config.relayclient)
        return error("530 5.7.0 authentication required");
    if (m_config.databytes && args.size && *args.size > m_config.databytes)
        return reply("552 5.3.4 message size exceeds fixed maximum message size");
    std::string sender = args.sender.is_null() ? ""
        : args.sender.domain.empty()           ? args.sender.local
                                               : args.sender.local + "@" + args.sender.domain;
    if (!m_login.empty() && !sender_permitted(sender))
        return;
    m_tx.has_mail = true;
    m_tx.utf8 = args.smtputf8;
    m_tx.sender = std::move(sender);
    reply("250 2.1.0 ok");
}

void Session::rcpt(std::string_view arg)
{
    if (!m_tx.has_mail)
        return error("503 5.5.1 MAIL first");
    if (m_tx.filter)
        return error("503 5.5.1 BDAT transfer in progress");
    auto parsed = parse_rcpt(arg, m_tx.utf8);
    if (auto* bad = std::get_if<ArgError>(&parsed))
        return error(bad->reply);
    mta::Address& to = std::get<RcptArgs>(parsed).recipient;
    auto [sender_local, sender_domain] = mta::split_at_last_at(m_tx.sender);
    if (in_badmailfrom(m_config, sender_local, sender_domain))
        return reply("553 5.7.1 sorry, your envelope sender is in my badmailfrom list");
    if (m_tx.recipients.size() >= m_config.maxrcpt)
        return reply("452 4.5.3 too many recipients");
    if (is_local_literal(m_config, to.domain))
        to.domain = m_config.localiphost;
    std::string address = to.domain.empty() ? to.local : to.local + "@" + to.domain;
    if (m_config.relayclient) {
        address += *m_config.relayclient;
    } else if (m_login.empty()) {
        auto allowed = rcpthost_allowed(m_config, to.local, to.domain);
        if (!allowed) {
            mta::log::warn("unable to read control/morercpthosts.cdb", allowed.error());
            return reply("451 4.3.0 unable to read controls");
        }
        if (!*allowed)
            return reply("553 5.7.1 sorry, that domain isn't in my list of allowed rcpthosts");
    }
    if (address.size() > mta::kMaxAddressBytes)
        return reply("553 5.1.3 address too long");
    if (!has_mailbox(to, address))
        return;
    m_tx.recipients.push_back(std::move(address));
    reply("250 2.1.5 ok");
}

// A virtual mailbox, or (unless smtpd runs for one user) a local one; when there is none
// or a table cannot be read, the reply (550, 451) is sent here.
bool Session::has_mailbox(mta::Address const& to, std::string const& address)
{
    auto mailbox = m_mailboxes.check(to.local, to.domain);
    if (!mailbox) {
        mta::log::warn("unable to read users/recipients.cdb", mailbox.error());
        reply("451 4.3.0 unable to read the recipient table");
        return false;
    }
    if (*mailbox == Mailbox::not_virtual && !m_config.local_user) {
        mailbox = m_locals.check(to.local, to.domain);
        if (!mailbox) {
            mta::log::warn(
                "unable to look up the local recipient " + safe_text(address), mailbox.error());
            reply("451 4.3.0 unable to look up the recipient, try again later");
            return false;
        }
    }
    if (*mailbox == Mailbox::unknown) {
        reply("550 5.1.1 sorry, no mailbox here by that name");
        return false;
    }
    return true;
}

bool Session::transaction_ready(bool chunking)
{
    if (!m_tx.has_mail)
        error("503 5.5.1 MAIL first");
    else if (m_tx.recipients.empty())
        error("503 5.5.1 RCPT first");
    else if (!chunking && m_tx.filter)
        error("503 5.5.1 BDAT transfer in progress");
    else
        return true;
    return false;
}

std::optional<mta::QueueClient> Session::open_queue(bool utf8)
{
    auto queue = mta::QueueClient::open(m_config.root);
    if (!queue) {
        mta::log::warn("unable to start the queue program", queue.error());
        return std::nullopt;
    }
    ReceivedInfo info { m_config.remote_host, m_config.remote_ip, m_config.remote_info, m_helo,
        m_config.local_host, m_esmtp, utf8, "", m_login };
    if (m_tls)
        info.tls = m_tls->version() + " " + m_tls->cipher();
    queue->put(received_line(info, ::time(nullptr)));
    return std::move(*queue);
}

void Session::data(std::string_view arg)
{
    if (!arg.empty())
        return error("501 5.5.4 syntax: DATA");
    if (!transaction_ready(false))
        return;
    auto queue = open_queue(m_tx.utf8);
    if (!queue)
        return reset(), reply("451 4.3.0 qqt failure");
    reply("354 go ahead, end with <CRLF>.<CRLF>");
    flush();
    MessageFilter filter(Framing::dot, m_config.databytes);
    m_data_filter = &filter;
    if (auto st = m_reception.read_data(*queue, filter); !st)
        input_failed(st.error());
    m_data_filter = nullptr;
    finish_message(*queue, filter);
}

void Session::finish_message(mta::QueueClient& queue, MessageFilter& filter)
{
    if (filter.problem() != Problem::none) {
        reset();
        return reply(problem_reply(filter.problem()));
    }
    queue.from(m_tx.sender);
    for (auto const& r : m_tx.recipients)
        queue.to(r);
    pid_t const pid = queue.pid();
    mta::QueueResult result = queue.close();
    reset();
    if (!result.ok())
        return reply(queue_failure_reply(result.text));
    reply("250 2.0.0 ok " + std::to_string(::time(nullptr)) + " qp " + std::to_string(pid));
}

void Session::bdat(std::string_view arg)
{
    auto parsed = parse_bdat(arg);
    if (auto* bad = std::get_if<ArgError>(&parsed))
        close_with(bad->reply); // the chunk cannot be skipped: the stream is lost
    auto const [size, last] = std::get<BdatArgs>(parsed);
    std::uint64_t const limit = m_config.databytes;
    // Each stored byte takes one or two on the wire (LF for CRLF): a chunk of more than
    // twice the limit can only make the message too big, and is never read.
    if (limit != 0 && size / 2 > limit)
        close_with("552 5.3.4 message size exceeds fixed maximum message size");
    if (!transaction_ready(true))
        return read_chunk(size, nullptr, nullptr);
    if (!m_tx.filter) {
        m_tx.queue = open_queue(m_tx.utf8);
        if (!m_tx.queue) {
            read_chunk(size, nullptr, nullptr);
            return reset(), reply("451 4.3.0 qqt failure");
        }
        m_tx.filter.emplace(Framing::counted, limit);
    }
    read_chunk(size, &*m_tx.queue, &*m_tx.filter);
    if (last) {
        m_reception.finish_chunks(*m_tx.queue, *m_tx.filter);
        mta::QueueClient queue = std::move(*m_tx.queue);
        MessageFilter filter = *m_tx.filter;
        return finish_message(queue, filter);
    }
    if (m_tx.filter->problem() != Problem::none) {
        std::string const text = problem_reply(m_tx.filter->problem());
        reset();
        return reply(text);
    }
    reply("250 2.0.0 " + std::to_string(size) + " octets received");
}

// Exactly size bytes of a chunk, into the queue or thrown away; ends the session when
// reading fails.
void Session::read_chunk(std::uint64_t size, mta::QueueClient* queue, MessageFilter* filter)
{
    if (auto st = m_reception.read_chunk(size, queue, filter); !st)
        input_failed(st.error());
}

void Session::reset()
{
    m_tx = Transaction {};
}

void Session::quit()
{
    close_with("221 2.0.0 " + m_config.greeting);
}

void Session::starttls(std::string_view arg)
{
    if (m_tls || !m_config.tls_files || m_config.local_user)
        return error("502 5.5.1 STARTTLS not available");
    if (!arg.empty())
        return error("501 5.5.4 syntax: STARTTLS");
    if (!m_tls_context) {
        auto ctx = mta::tls::Context::server(m_config.cert_file, m_config.key_file);
        if (!ctx) {
            mta::log::warn(
                "unable to load control/tls/cert.pem and key.pem: " + mta::tls::last_error_text());
            return reply("454 4.7.0 TLS not available due to temporary reason");
        }
        m_tls_context = std::move(*ctx);
    }
    reply("220 2.0.0 ready to start TLS");
    flush();
    start_tls();
}

// The handshake; commands pipelined after STARTTLS were sent in plaintext and are dropped,
// and the session starts again as if just connected (RFC 3207 4.2).
void Session::start_tls()
{
    m_in.discard_buffered();
    if (!m_tls_context) {
        auto ctx = mta::tls::Context::server(m_config.cert_file, m_config.key_file);
        if (!ctx)
            mta::log::fatal(mta::kExitTemp,
                "unable to load control/tls/cert.pem and key.pem: " + mta::tls::last_error_text());
        m_tls_context = std::move(*ctx);
    }
    auto session = mta::tls::Session::accept(*m_tls_context, 0, 1, m_config.timeout_ms);
    if (!session) {
        mta::log::warn("TLS handshake with " + safe_text(m_config.remote_ip)
            + " failed: " + session.error().text() + ": " + mta::tls::last_error_text());
        ::_exit(0);
    }
    m_tls.emplace(std::move(*session));
    m_tls->set_timeout(m_config.timeout_ms);
    m_in.set_timeout(0);
    m_in.set_read_fn(m_tls->read_fn());
    m_out.set_timeout(0);
    m_out.set_write_fn(m_tls->write_fn());
    m_helo.clear();
    m_esmtp = false;
    m_login.clear();
    reset();
}

// --- AUTH (RFC 4954) ---------------------------------------------------------------------

bool Session::auth_offered() const
{
    return !m_config.local_user && (m_tls || is_loopback(m_config.remote_ip));
}

void Session::auth(std::string_view arg)
{
    if (m_config.local_user)
        return error("503 5.5.1 AUTH not available");
    if (!m_login.empty())
        return error("503 5.5.1 already authenticated");
    if (m_tx.has_mail)
        return error("503 5.5.1 AUTH not permitted during a mail transaction");
    if (!auth_offered())
        return error("538 5.7.11 encryption required for requested authentication mechanism");
    auto const space = arg.find(' ');
    std::string_view const mechanism = arg.substr(0, space);
    std::optional<std::string_view> initial;
    if (space != std::string_view::npos)
        initial = arg.substr(arg.find_first_not_of(' ', space));
    if (mechanism.empty())
        return error("501 5.5.4 syntax: AUTH mechanism [initial-response]");
    std::string mech(mechanism);
    for (char& c : mech)
        if (c >= 'a' && c <= 'z')
            c = static_cast<char>(c - 'a' + 'A');
    std::optional<Credentials> credentials;
    if (mech == "PLAIN")
        credentials = read_plain(initial);
    else if (mech == "LOGIN")
        credentials = read_login(initial);
    else
        return error("504 5.5.4 unrecognized authentication mechanism (PLAIN and LOGIN are)");
    if (!credentials)
        return;
    check_credentials(*credentials);
    std::fill(credentials->password.begin(), credentials->password.end(), '\0');
}

// One client response to a 334 challenge, without CRLF; nullopt (after the reply) when
// the client cancelled with "*" or sent too long a line.
std::optional<std::string> Session::read_response(std::string_view prompt)
{
    reply(prompt);
    flush();
    auto got = m_in.get_line(m_line, kMaxCommandBytes);
    if (!got)
        input_failed(got.error());
    if (*got == mta::LineStatus::eof || *got == mta::LineStatus::partial)
        ::_exit(0);
    if (*got == mta::LineStatus::too_long) {
        if (auto st = m_in.skip_line(); !st)
            input_failed(st.error());
        error("500 5.5.2 line too long");
        return std::nullopt;
    }
    if (!m_line.empty() && m_line.back() == '\r')
        m_line.pop_back();
    if (m_line == "*") {
        error("501 5.0.0 authentication cancelled");
        return std::nullopt;
    }
    std::string response = m_line;
    std::fill(m_line.begin(), m_line.end(), '\0'); // it may hold a password
    return response;
}

// AUTH PLAIN: the message (RFC 4616) as the initial response or after an empty prompt.
std::optional<Credentials> Session::read_plain(std::optional<std::string_view> initial)
{
    std::optional<std::string> response;
    if (initial)
        response = std::string(*initial);
    else
        response = read_response("334 ");
    if (!response)
        return std::nullopt;
    auto bytes = decode_base64(*response);
    if (!bytes) {
        error("501 5.5.2 cannot decode the response (base64 expected)");
        return std::nullopt;
    }
    auto credentials = parse_plain(*bytes);
    std::fill(bytes->begin(), bytes->end(), '\0');
    if (!credentials)
        error("501 5.5.2 malformed PLAIN response");
    return credentials;
}

// AUTH LOGIN: the user name (perhaps as the initial response) and the password, each in
// base64 after a base64 prompt ("Username:", "Password:").
std::optional<Credentials> Session::read_login(std::optional<std::string_view> initial)
{
    std::optional<std::string> user;
    if (initial)
        user = std::string(*initial);
    else
        user = read_response("334 " + mta::encode_base64("Username:"));
    if (!user)
        return std::nullopt;
    auto login = decode_base64(*user);
    if (!login) {
        error("501 5.5.2 cannot decode the response (base64 expected)");
        return std::nullopt;
    }
    auto response = read_response("334 " + mta::encode_base64("Password:"));
    if (!response)
        return std::nullopt;
    auto password = decode_base64(*response);
    std::fill(response->begin(), response->end(), '\0');
    if (!password) {
        error("501 5.5.2 cannot decode the response (base64 expected)");
        return std::nullopt;
    }
    bool const ok = !login->empty() && !password->empty() && login->size() <= kMaxLoginBytes
        && password->size() <= kMaxPasswordBytes && login->find('\0') == std::string::npos
        && password->find('\0') == std::string::npos;
    if (!ok) {
        std::fill(password->begin(), password->end(), '\0');
        error("501 5.5.2 malformed LOGIN response");
        return std::nullopt;
    }
    return Credentials { std::move(*login), std::move(*password) };
}

void Session::check_credentials(Credentials const& credentials)
{
    auto configured = mta::control::read_line(m_config.root + "/control/checkpassword");
    if (!configured) {
        mta::log::warn("unable to read control/checkpassword", configured.error());
        return reply("454 4.7.0 temporary authentication failure");
    }
    Checker checker { m_config.root + "/bin/auth", true };
    if (*configured && !(*configured)->empty())
        checker = Checker { **configured, false };
    std::string const challenge = "<" + std::to_string(::getpid()) + "."
        + std::to_string(::time(nullptr)) + "@" + m_config.me + ">";
    auto verdict = check_password(checker, credentials, challenge, kCheckTimeoutMs);
    if (!verdict) {
        mta::log::warn("unable to run " + checker.program, verdict.error());
        return reply("454 4.7.0 temporary authentication failure");
    }
    std::string const who
        = safe_text(credentials.login) + " from " + safe_text(m_config.remote_ip, true);
    switch (*verdict) {
    case Verdict::good:
        m_login = credentials.login;
        return reply("235 2.7.0 authentication successful");
    case Verdict::temporary:
        mta::log::warn("authentication deferred for " + who);
        return reply("454 4.7.0 temporary authentication failure");
    case Verdict::bad:
        break;
    }
    mta::log::warn("authentication failed for " + who);
    if (++m_auth_failures >= kMaxAuthFailures)
        close_with("421 4.7.0 " + m_config.greeting
            + " too many authentication failures, closing connection");
    reply("535 5.7.8 authentication credentials invalid");
}

// An authenticated client sends as itself, with <>, or as control/authsenders allows.
bool Session::sender_permitted(std::string_view sender)
{
    if (!m_authsenders) {
        auto lines = mta::control::read_lines(m_config.root + "/control/authsenders");
        if (!lines) {
            mta::log::warn("unable to read control/authsenders", lines.error());
            reply("451 4.3.0 unable to read controls");
            return false;
        }
        m_authsenders = parse_authsenders(lines->value_or(std::vector<std::string> {}));
    }
    if (sender_allowed(m_login, sender, *m_authsenders))
        return true;
    reply("553 5.7.1 sender address not owned by the authenticated user " + safe_text(m_login));
    return false;
}

} // namespace smtpd
