#include "session.hpp"

#include "address.hpp"

#include <sys/stat.h>
#include <unistd.h>

namespace remote {

namespace {

std::string said(Reply const& r)
{
    return "Remote host said: " + r.text + "\n";
}

// Text for the TLS note: one line, no runs of blanks.
std::string one_line(std::string_view text)
{
    std::string out;
    for (char c : text) {
        bool const blank = c == '\n' || c == '\r' || c == ' ' || c == '\t';
        if (blank && (out.empty() || out.back() == ' '))
            continue;
        out += blank ? ' ' : c;
    }
    while (!out.empty() && out.back() == ' ')
        out.pop_back();
    return out;
}

// "what: strerror" of a failed handshake, and OpenSSL's words when it has any.
std::string tls_failure_text(mta::Error e)
{
    std::string const ssl = mta::tls::last_error_text();
    return ssl.empty() ? e.text() : e.text() + ": " + ssl;
}

std::string record(char letter, std::string const& text)
{
    std::string out(1, letter);
    out += text;
    out += '\0';
    return out;
}

// The path of an envelope address: the local part quoted when needed ("" stays <>).
std::string path(std::string const& address)
{
    if (address.empty())
        return "<>";
    auto [local, domain] = mta::split_at_last_at(address);
    if (address.find('@') == std::string::npos)
        return "<" + mta::quote_local(local) + ">";
    return "<" + mta::quote_local(local) + "@" + std::string(domain) + ">";
}

bool envelope_needs_utf8(Config const& c)
{
    bool utf8 = needs_utf8(c.sender);
    for (auto const& r : c.recipients)
        utf8 = utf8 || needs_utf8(r);
    return utf8;
}

std::string mail_command(
    std::string const& sender, Extensions const& ext, MessageFacts const& facts, bool utf8)
{
    std::string mail = "MAIL FROM:" + path(sender);
    if (ext.size)
        mail += " SIZE=" + std::to_string(facts.wire_size);
    if (facts.eightbit && ext.eightbitmime)
        mail += " BODY=8BITMIME";
    if (utf8)
        mail += " SMTPUTF8";
    mail += "\r\n";
    return mail;
}

// MAIL, the RCPTs and DATA in one write.
std::string pipelined(std::string const& mail, std::vector<std::string> const& rcpts)
{
    std::string all = mail;
    for (auto const& r : rcpts)
        all += r;
    all += "DATA\r\n";
    return all;
}

class Conversation {
public:
    Conversation(mta::Fd fd, SessionParams const& p)
        : m_p(p)
        , m_fd(std::move(fd))
        , m_in(m_fd.get(), p.config.timeoutremote * 1000)
        , m_out(m_fd.get(), p.config.timeoutremote * 1000)
        , m_name(describe(p.target))
        , m_tls_note(p.tls_failure.empty()
                  ? "TLS: none.\n"
                  : "TLS: none (STARTTLS failed: " + one_line(p.tls_failure) + ").\n")
    {
    }
    Conversation(Conversation const&) = delete;
    Conversation& operator=(Conversation const&) = delete;

    Attempt run();

private:
    mta::Status send_now(std::string const& bytes);
    mta::Result<Reply> command(std::string const& line);
    Attempt died(mta::Error e);
    Attempt finish(char letter, std::string const& text);
    Attempt next(std::string problem);
    void quit();
    // EHLO, falling back to HELO; nullopt when the name was accepted.
    std::optional<Attempt> greet(Extensions& ext);
    std::optional<Attempt> starttls(Extensions& ext);
    std::optional<Attempt> handshake(bool required);
    Attempt transaction(Extensions const& ext);
    mta::Result<size_t> recipients(std::vector<std::string> const& rcpts, bool pipelining);
    Attempt pipelined_data(size_t accepted);
    Attempt lockstep_data(size_t accepted);
    Attempt after_data(Reply const& reply);
    Attempt data();

    SessionParams const& m_p;
    mta::Fd m_fd;
    mta::Reader m_in;
    mta::Writer m_out;
    std::optional<mta::tls::Session> m_tls;
    std::string m_name;
    std::string m_records; // recipient records so far
    std::string m_tls_note;
    bool m_after_dot = false;
};

mta::Status Conversation::send_now(std::string const& bytes)
{
    if (auto st = m_out.put(bytes); !st)
        return st;
    return m_out.flush();
}

mta::Result<Reply> Conversation::command(std::string const& line)
{
    if (auto st = send_now(line + "\r\n"); !st)
        return st.error();
    return read_reply(m_in);
}

void Conversation::quit()
{
    // As qmail-remote: QUIT, and no wait for its answer.
    if (m_out.put("QUIT\r\n") && m_out.flush() && m_tls)
        m_tls->shutdown();
}

Attempt Conversation::died(mta::Error e)
{
    std::string text = "Connected to " + m_name + " but connection died. ";
    if (m_after_dot)
        text += "Possible duplicate! ";
    text += "(#4.4.2)\n(" + e.text() + ")\n";
    return Attempt { Attempt::End::done, m_records + record('Z', text + m_tls_note), {}, {} };
}

Attempt Conversation::finish(char letter, std::string const& text)
{
    quit();
    return Attempt { Attempt::End::done, m_records + record(letter, text + m_tls_note), {}, {} };
}

Attempt Conversation::next(std::string problem)
{
    quit();
    return Attempt { Attempt::End::next, {}, std::move(problem), {} };
}

std::optional<Attempt> Conversation::greet(Extensions& ext)
{
    auto r = command("EHLO " + m_p.config.helohost);
    if (!r)
        return died(r.error());
    if (r->code == 250) {
        ext = parse_ehlo(r->text);
        return std::nullopt;
    }
    ext = Extensions {};
    r = command("HELO " + m_p.config.helohost);
    if (!r)
        return died(r.error());
    if (r->code != 250)
        return finish('Z', "Connected to " + m_name + " but my name was rejected.\n" + said(*r));
    return std::nullopt;
}

std::optional<Attempt> Conversation::starttls(Extensions& ext)
{
    bool const required = m_p.require_tls;
    if (!ext.starttls || !m_p.offer_tls) {
        if (required)
            return next(m_name + " does not offer STARTTLS");
        return std::nullopt;
    }
    auto r = command("STARTTLS");
    if (!r)
        return died(r.error());
    if (r->code != 220) {
        if (required)
            return next(m_name + " refused STARTTLS: " + r->text);
        m_tls_note = "TLS: none (STARTTLS refused: " + one_line(r->text) + ").\n";
        return std::nullopt;
    }
    m_in.discard_buffered();
    if (auto end = handshake(required))
        return end;
    r = command("EHLO " + m_p.config.helohost);
    if (!r)
        return died(r.error());
    if (r->code != 250)
        return finish('Z', "Connected to " + m_name + " but my name was rejected.\n" + said(*r));
    ext = parse_ehlo(r->text);
    return std::nullopt;
}

// The TLS handshake after the 220 to STARTTLS, and its note; nullopt when it holds.
std::optional<Attempt> Conversation::handshake(bool required)
{
    auto const end = required ? Attempt::End::next : Attempt::End::plaintext;
    auto ctx = m_p.tls.get();
    if (!ctx) {
        std::string why = "no TLS client context: " + tls_failure_text(ctx.error());
        return Attempt { end, {}, why, why };
    }
    std::string const sni
        = m_p.target.host.starts_with('[') ? m_p.target.ip.to_string() : m_p.target.host;
    auto s = mta::tls::Session::connect(
        **ctx, m_fd.get(), m_fd.get(), sni, m_p.config.timeoutremote * 1000);
    if (!s) {
        std::string const why = tls_failure_text(s.error());
        return Attempt { end, {}, "TLS handshake with " + m_name + " failed: " + why, why };
    }
    m_tls.emplace(std::move(*s));
    m_in.set_timeout(0);
    m_in.set_read_fn(m_tls->read_fn());
    m_out.set_write_fn(m_tls->write_fn());
    bool const verified = m_tls->peer_verified();
    m_tls_note = "TLS: " + m_tls->version() + " " + m_tls->cipher() + ", certificate "
        + (verified ? "verified" : "not verified (" + m_tls->verify_text() + ")") + ".\n";
    if (required && !verified)
        return next("TLS certificate of " + m_name + " not verified: " + m_tls->verify_text());
    return std::nullopt;
}

Attempt Conversation::run()
{
    auto greeting = read_reply(m_in);
    if (!greeting)
        return died(greeting.error());
    if (greeting->code != 220)
        return finish('Z', "Connected to " + m_name + " but greeting failed.\n" + said(*greeting));
    Extensions ext;
    if (auto end = greet(ext))
        return std::move(*end);
    if (auto end = starttls(ext))
        return std::move(*end);
    return transaction(ext);
}

// MAIL, RCPT and DATA: one write when the server pipelines, else one at a time.
Attempt Conversation::transaction(Extensions const& ext)
{
    Config const& c = m_p.config;
    bool const utf8 = envelope_needs_utf8(c);
    if (utf8 && !ext.smtputf8)
        return finish(
            'D', "The envelope needs SMTPUTF8, which " + m_name + " does not support. (#5.6.7)\n");
    std::string const mail = mail_command(c.sender, ext, m_p.facts, utf8);
    std::vector<std::string> rcpts;
    for (auto const& r : c.recipients)
        rcpts.push_back("RCPT TO:" + path(r) + "\r\n");
    if (auto st = send_now(ext.pipelining ? pipelined(mail, rcpts) : mail); !st)
        return died(st.error());
    auto mail_reply = read_reply(m_in);
    if (!mail_reply)
        return died(mail_reply.error());
    if (!mail_reply->positive()) {
        // Pipelined RCPTs and DATA get "503 need MAIL" replies: no need to read them.
        return finish(mail_reply->permanent() ? 'D' : 'Z',
            "Connected to " + m_name + " but sender was rejected.\n" + said(*mail_reply));
    }
    auto accepted = recipients(rcpts, ext.pipelining);
    if (!accepted)
        return died(accepted.error());
    return ext.pipelining ? pipelined_data(*accepted) : lockstep_data(*accepted);
}

// The RCPT replies as records; how many recipients the server took.
mta::Result<size_t> Conversation::recipients(std::vector<std::string> const& rcpts, bool pipelining)
{
    size_t accepted = 0;
    for (auto const& r : rcpts) {
        if (!pipelining)
            if (auto st = send_now(r); !st)
                return st.error();
        auto reply = read_reply(m_in);
        if (!reply)
            return reply.error();
        if (reply->permanent())
            m_records += record('h', m_name + " does not like recipient.\n" + said(*reply));
        else if (!reply->positive())
            m_records += record('s', m_name + " does not like recipient.\n" + said(*reply));
        else {
            m_records += record('r', "");
            ++accepted;
        }
    }
    return accepted;
}

// The DATA reply is already on its way: read it even when no recipient was taken.
Attempt Conversation::pipelined_data(size_t accepted)
{
    auto reply = read_reply(m_in);
    if (!reply)
        return died(reply.error());
    if (accepted == 0) {
        if (reply->code == 354) // a broken server: end the empty message
            (void)(m_out.put(".\r\n") && m_out.flush());
        return finish('D', "Giving up on " + m_name + ".\n");
    }
    return after_data(*reply);
}

Attempt Conversation::lockstep_data(size_t accepted)
{
    if (accepted == 0)
        return finish('D', "Giving up on " + m_name + ".\n");
    auto reply = command("DATA");
    if (!reply)
        return died(reply.error());
    return after_data(*reply);
}

Attempt Conversation::after_data(Reply const& reply)
{
    if (reply.code != 354)
        return finish(
            reply.permanent() ? 'D' : 'Z', m_name + " failed on DATA command.\n" + said(reply));
    return data();
}

// The message after a 354, and the verdict on it.
Attempt Conversation::data()
{
    DataEncoder enc;
    std::string chunk(65536, '\0');
    std::string wire;
    for (off_t offset = 0;;) {
        ssize_t n = ::pread(m_p.message_fd, chunk.data(), chunk.size(), offset);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            return Attempt { Attempt::End::done,
                m_records + record('Z', "Unable to read message. (#4.3.0)\n" + m_tls_note), {},
                {} };
        if (n == 0)
            break;
        offset += n;
        wire.clear();
        enc.feed(std::string_view(chunk.data(), static_cast<size_t>(n)), wire);
        if (auto st = m_out.put(wire); !st)
            return died(st.error());
    }
    wire.clear();
    enc.finish(wire);
    if (auto st = m_out.put(wire); !st)
        return died(st.error());
    if (auto st = m_out.flush(); !st)
        return died(st.error());
    m_after_dot = true;
    auto reply = read_reply(m_in);
    if (!reply)
        return died(reply.error());
    if (reply->positive())
        return finish('K', m_name + " accepted message.\n" + said(*reply));
    return finish(reply->permanent() ? 'D' : 'Z',
        m_name + " failed after I sent the message.\n" + said(*reply));
}

} // namespace

namespace {

std::string file_identity(std::string const& path)
{
    struct stat st;
    if (path.empty() || ::stat(path.c_str(), &st) == -1)
        return {};
    return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":"
        + std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "."
        + std::to_string(st.st_mtim.tv_nsec);
}

} // namespace

bool TlsClient::serves(std::string const& ca_file) const
{
    if (ca_file != m_ca_file)
        return false;
    return !m_ctx || m_ca_file.empty() || file_identity(m_ca_file) == m_identity;
}

mta::Result<mta::tls::Context const*> TlsClient::get()
{
    if (!m_ctx) {
        m_identity = file_identity(m_ca_file);
        auto ctx = mta::tls::Context::client(m_ca_file);
        if (!ctx)
            return ctx.error();
        m_ctx.emplace(std::move(*ctx));
    }
    return &*m_ctx;
}

std::string describe(Target const& target)
{
    if (target.host.starts_with('[') || target.host == target.ip.to_string())
        return target.ip.to_string();
    return target.host + "[" + target.ip.to_string() + "]";
}

Attempt converse(mta::Fd fd, SessionParams const& params)
{
    Conversation c(std::move(fd), params);
    return c.run();
}

} // namespace remote
