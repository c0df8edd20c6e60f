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
#include "process.hpp"
#include "tls.hpp"

#include <ctime>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace pop3d {

namespace {

constexpr int kMonitorFd = 3;
constexpr int kSessionFd = 4;

struct Connection {
    mta::Reader in { 0, kIdleTimeoutMs };
    mta::Writer out { 1, kIdleTimeoutMs };
    std::optional<mta::tls::Session> tls;
};

[[noreturn]] void bye(Connection& c, int code)
{
    (void)c.out.flush();
    if (c.tls)
        c.tls->shutdown();
    _exit(code);
}

void start_tls(Connection& c, mta::tls::Context const& ctx)
{
    auto session = mta::tls::Session::accept(ctx, 0, 1, kIdleTimeoutMs);
    if (!session)
        mta::log::fatal(mta::kExitOk,
            "TLS handshake failed: " + session.error().text() + " " + mta::tls::last_error_text());
    c.tls.emplace(std::move(*session));
    c.in.set_timeout(0);
    c.in.set_read_fn(c.tls->read_fn());
    c.out.set_write_fn(c.tls->write_fn());
}

// 'Y' good (the session runs), 'N' bad, 'T' temporary failure.
char ask_monitor(std::string const& login, std::string const& password)
{
    std::string packet = login + '\0' + password + '\0';
    if (packet.size() > 512 || login.find('\0') != std::string::npos
        || password.find('\0') != std::string::npos)
        return 'N';
    if (::send(kMonitorFd, packet.data(), packet.size(), 0) != ssize_t(packet.size()))
        mta::log::fatal(mta::kExitTemp, "lost the monitor", mta::Error::from_errno("send"));
    std::fill(packet.begin(), packet.end(), '\0');
    char answer = 0;
    ssize_t n;
    while ((n = ::recv(kMonitorFd, &answer, 1, 0)) == -1 && errno == EINTR) { }
    if (n != 1)
        mta::log::fatal(mta::kExitTemp, "lost the monitor");
    return answer;
}

// Bytes between the client and the session until either side closes.
[[noreturn]] void relay(Connection& c)
{
    char buf[16384];
    while (c.in.has_buffered()) {
        auto n = c.in.read(buf, sizeof buf);
        if (!n || *n == 0)
            break;
        if (!mta::write_all(kSessionFd, std::string_view(buf, *n)))
            bye(c, 0);
    }
    for (;;) {
        pollfd fds[2] = { { 0, POLLIN, 0 }, { kSessionFd, POLLIN, 0 } };
        if (::poll(fds, 2, -1) == -1) {
            if (errno == EINTR)
                continue;
            bye(c, mta::kExitTemp);
        }
        if (fds[1].revents) {
            ssize_t n = ::read(kSessionFd, buf, sizeof buf);
            if (n == -1 && errno == EINTR)
                continue;
            if (n <= 0)
                bye(c, 0);
            if (!c.out.put(std::string_view(buf, size_t(n))) || !c.out.flush())
                _exit(0);
        }
        if (fds[0].revents) {
            auto n = c.in.read(buf, sizeof buf);
            if (!n || *n == 0)
                _exit(0); // the session sees end of input and changes nothing
            if (!mta::write_all(kSessionFd, std::string_view(buf, *n)))
                bye(c, 0);
        }
    }
}

std::optional<mta::tls::Context> load_tls(std::string const& root)
{
    std::string const cert = root + "/control/tls/cert.pem";
    std::string const key = root + "/control/tls/key.pem";
    if (::access(cert.c_str(), F_OK) == -1)
        return std::nullopt;
    auto ctx = mta::tls::Context::server(cert, key);
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
    Login login(
        Policy { ctx.has_value(), is_loopback(mta::env_or("TCPREMOTEIP", "")), implicit_tls });
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
            char const answer = ask_monitor(step.login, step.password);
            std::fill(step.password.begin(), step.password.end(), '\0');
            if (answer == 'Y')
                relay(c);
            step = login.login_failed(answer == 'T');
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
