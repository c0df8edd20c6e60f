// The front: everything a client says before it has logged in, as msd.
#include "processes.hpp"

#include "buffer.hpp"
#include "command.hpp"
#include "control.hpp"
#include "env.hpp"
#include "exit_codes.hpp"
#include "fd.hpp"
#include "install_root.hpp"
#include "log.hpp"
#include "login.hpp"
#include "login_monitor.hpp"
#include "process.hpp"
#include "tls.hpp"

#include <ctime>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <sys/socket.h>
#include <unistd.h>

namespace pop3d {

namespace {

// The client connection, plaintext until STARTTLS/STLS (lib/login_monitor).
struct Connection : mta::login::FrontConnection {
    Connection()
        : FrontConnection(kIdleTimeoutMs)
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

std::string greeting(std::string const& root)
{
    auto me = mta::control::read_line(root + "/control/me");
    std::string const host = me && *me ? **me : std::string("localhost");
    return "+OK mail-suite POP3 server ready <" + std::to_string(::getpid()) + "."
        + std::to_string(::time(nullptr)) + "@" + host + ">\r\n";
}

} // namespace

int run_front(bool implicit_tls)
{
    mta::ignore_sigpipe();
    // Replies leave in several writes (a message in pieces); without TCP_NODELAY, Nagle's
    // algorithm holds each later piece until the client's delayed ACK (40 ms a message).
    int const on = 1;
    (void)::setsockopt(1, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on); // fails on pipes: fine
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
    Login login(Policy {
        ctx.has_value(), mta::login::is_loopback(mta::env_or("TCPREMOTEIP", "")), implicit_tls });
    if (!c.out.put(greeting(*root)) || !c.out.flush())
        bye(c, 0);
    std::string line;
    for (;;) {
        auto got = c.in.get_line(line, kMaxLineBytes);
        if (!got) {
            if (got.error().errnum == ETIMEDOUT)
                (void)c.out.put("-ERR autologout: idle for too long\r\n");
            bye(c, 0);
        }
        if (*got == mta::LineStatus::eof || *got == mta::LineStatus::partial)
            bye(c, 0);
        Step step;
        if (*got == mta::LineStatus::too_long) {
            if (!c.in.skip_line())
                bye(c, 0);
            step.reply = "-ERR line too long\r\n";
        } else {
            step = login.handle_line(line);
        }
        std::fill(line.begin(), line.end(), '\0');
        if (step.action == Action::authenticate) {
            auto answer = mta::login::ask_monitor(step.login, step.password);
            std::fill(step.password.begin(), step.password.end(), '\0');
            if (!answer)
                mta::log::fatal(mta::kExitTemp, answer.error().text());
            if (*answer == mta::login::Answer::good) {
                // Bytes between the client and the session until either side closes.
                (void)mta::login::relay(c.in, c.out);
                bye(c, mta::kExitOk);
            }
            step = login.login_failed(*answer == mta::login::Answer::temporary);
        }
        if (!c.out.put(step.reply))
            bye(c, 0);
        if (step.action == Action::quit || step.action == Action::close)
            bye(c, 0);
        if (step.action == Action::starttls) {
            if (!c.out.flush())
                bye(c, 0);
            c.in.discard_buffered(); // RFC 2595: nothing sent before TLS counts after it
            start_tls(c, *ctx);
            login.tls_started();
            continue;
        }
        if (!c.in.has_buffered() && !c.out.flush())
            bye(c, 0);
    }
}

} // namespace pop3d
