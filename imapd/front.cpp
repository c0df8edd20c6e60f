#include "front.hpp"

#include "buffer.hpp"
#include "control.hpp"
#include "env.hpp"
#include "exit_codes.hpp"
#include "install_root.hpp"
#include "log.hpp"
#include "login.hpp"
#include "login_monitor.hpp"
#include "parser.hpp"
#include "process.hpp"
#include "session.hpp"
#include "tls.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <sys/socket.h>
#include <unistd.h>

namespace imapd {

namespace {

constexpr int kPreLoginTimeoutMs = 5 * 60 * 1000;

// The client connection, plaintext until STARTTLS/STLS (lib/login_monitor).
struct Connection : mta::login::FrontConnection {
    Connection()
        : FrontConnection(kPreLoginTimeoutMs)
    {
    }
};

[[noreturn]] void bye(Connection& c, int code)
{
    c.finish();
    _exit(code);
}

void start_tls(Connection& c, mta::tls::Context const& ctx)
{
    if (auto st = c.start_tls(ctx); !st)
        mta::log::fatal(mta::kExitOk,
            "TLS handshake failed: " + st.error().text() + " " + mta::tls::last_error_text());
}

std::optional<mta::tls::Context> load_tls(std::string const& root)
{
    auto ctx = mta::login::load_front_tls(root);
    if (!ctx) {
        mta::log::warn("no TLS: " + ctx.error().text() + " " + mta::tls::last_error_text());
        return std::nullopt;
    }
    return std::move(*ctx);
}

// The answer to the login, then bytes to and from the session until the end.
[[noreturn]] void logged_in(Connection& c, std::string const& tag)
{
    c.in.set_timeout(0); // the session keeps its own timeouts
    if (!c.out.put(tag + " OK [CAPABILITY " + capabilities() + "] logged in\r\n") || !c.out.flush())
        bye(c, mta::kExitOk);
    (void)mta::login::relay(c.in, c.out);
    bye(c, mta::kExitOk);
}

LoginStep next_step(Connection& c, CommandReader& reader, Login& login, bool sasl)
{
    std::string text;
    if (sasl) {
        auto got = c.in.get_line(text, kMaxLine);
        if (!got || *got != mta::LineStatus::line)
            bye(c, mta::kExitOk);
        if (!text.empty() && text.back() == '\r')
            text.pop_back();
        return login.sasl_response(text);
    }
    auto got = reader.read(text);
    if (!got) {
        if (got.error().errnum == ETIMEDOUT)
            (void)c.out.put("* BYE autologout: idle for too long\r\n");
        bye(c, mta::kExitOk);
    }
    if (*got == ReadStatus::eof)
        bye(c, mta::kExitOk);
    if (*got != ReadStatus::command) {
        LoginStep s;
        Cursor cursor(text);
        auto tag = cursor.tag();
        s.reply = (tag ? *tag : std::string("*")) + " BAD [TOOBIG] command too long\r\n";
        return s;
    }
    return login.handle(text);
}

} // namespace

int run_front(bool implicit_tls)
{
    mta::ignore_sigpipe();
    // Responses leave in several writes; without TCP_NODELAY, Nagle's algorithm would hold
    // each later piece until the client's delayed ACK. Fails on pipes: fine.
    int const on = 1;
    (void)::setsockopt(1, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    auto root = mta::install_root();
    if (!root)
        mta::log::fatal(mta::kExitTemp, "unable to find the install root", root.error());
    std::optional<mta::tls::Context> const ctx = load_tls(*root);
    Connection c;
    if (implicit_tls) {
        if (!ctx)
            mta::log::fatal(mta::kExitTemp, "no usable control/tls/cert.pem for implicit TLS");
        start_tls(c, *ctx);
    }
    Login login(LoginPolicy {
        ctx.has_value(), mta::login::is_loopback(mta::env_or("TCPREMOTEIP", "")), implicit_tls });
    if (!c.out.put("* OK [CAPABILITY " + login.capabilities() + "] mail-suite IMAP ready\r\n")
        || !c.out.flush())
        bye(c, mta::kExitOk);
    CommandReader reader(c.in, c.out, false); // no 64 MiB APPEND before login
    bool sasl = false;
    for (;;) {
        LoginStep step = next_step(c, reader, login, sasl);
        sasl = false;
        if (step.action == LoginAction::authenticate) {
            auto answer = mta::login::ask_monitor(step.login, step.password);
            std::fill(step.password.begin(), step.password.end(), '\0');
            if (!answer)
                mta::log::fatal(mta::kExitTemp, "lost the monitor", answer.error());
            if (*answer == mta::login::Answer::good)
                logged_in(c, step.tag);
            step = login.login_failed(*answer == mta::login::Answer::temporary);
        }
        if (!c.out.put(step.reply))
            bye(c, mta::kExitOk);
        if (step.action == LoginAction::logout)
            bye(c, mta::kExitOk);
        if (step.action == LoginAction::sasl_continue)
            sasl = true;
        if (step.action == LoginAction::starttls) {
            if (!c.out.flush())
                bye(c, mta::kExitOk);
            c.in.discard_buffered(); // nothing sent before TLS counts after it
            start_tls(c, *ctx);
            login.tls_started();
            continue;
        }
        if (!c.in.has_buffered() && !c.out.flush())
            bye(c, mta::kExitOk);
    }
}

} // namespace imapd
