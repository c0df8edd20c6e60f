#include "login_front.hpp"

#include "env.hpp"
#include "fd.hpp"
#include "install_root.hpp"
#include "process.hpp"

#include <algorithm>
#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace mta::login {

Result<FrontSetup> set_up_front()
{
    ignore_sigpipe();
    // Replies leave in several writes (a message in pieces); without TCP_NODELAY, Nagle's
    // algorithm would hold each later piece until the client's delayed ACK (40 ms a
    // message). Fails on pipes: fine.
    int const on = 1;
    (void)::setsockopt(1, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    auto root = install_root();
    if (!root)
        return root.error();
    FrontSetup setup;
    setup.root = std::move(*root);
    if (auto ctx = load_front_tls(setup.root); ctx)
        setup.tls = std::move(*ctx);
    else
        setup.tls_problem = tls_error_text(ctx.error());
    setup.loopback = is_loopback(env_or("TCPREMOTEIP", ""));
    return setup;
}

std::string tls_error_text(Error error)
{
    return error.text() + " " + tls::last_error_text();
}

Result<Answer> ask_monitor(std::string_view login, std::string_view password)
{
    std::string packet = std::string(login) + '\0' + std::string(password) + '\0';
    if (packet.size() > kMaxLoginPacket || login.find('\0') != std::string_view::npos
        || password.find('\0') != std::string_view::npos)
        return Answer::bad;
    ssize_t sent = ::send(kMonitorFd, packet.data(), packet.size(), 0);
    std::fill(packet.begin(), packet.end(), '\0');
    if (sent != ssize_t(packet.size()))
        return Error::from_errno("lost the monitor");
    char answer = 0;
    ssize_t n;
    while ((n = ::recv(kMonitorFd, &answer, 1, 0)) == -1 && errno == EINTR) { }
    if (n != 1)
        return Error::plain("lost the monitor");
    return answer == 'Y' ? Answer::good : answer == 'N' ? Answer::bad : Answer::temporary;
}

Status relay(Reader& in, Writer& out)
{
    char buf[16384];
    while (in.has_buffered()) {
        auto n = in.read(buf, sizeof buf);
        if (!n || *n == 0)
            return {};
        if (auto st = write_all(kSessionFd, std::string_view(buf, *n)); !st)
            return st;
    }
    for (;;) {
        pollfd fds[2] = { { in.fd(), POLLIN, 0 }, { kSessionFd, POLLIN, 0 } };
        if (::poll(fds, 2, -1) == -1) {
            if (errno == EINTR)
                continue;
            return Error::from_errno("unable to poll");
        }
        if (fds[1].revents) {
            ssize_t n = ::read(kSessionFd, buf, sizeof buf);
            if (n == -1 && errno == EINTR)
                continue;
            if (n <= 0)
                return {};
            if (auto st = out.put(std::string_view(buf, size_t(n))); !st)
                return st;
            if (auto st = out.flush(); !st)
                return st;
        }
        if (fds[0].revents) {
            // One read: a TLS session may hold more decrypted bytes, which the loop
            // drains before polling again.
            do {
                auto n = in.read(buf, sizeof buf);
                if (!n || *n == 0)
                    return {}; // the session sees end of input
                if (auto st = write_all(kSessionFd, std::string_view(buf, *n)); !st)
                    return st;
            } while (in.has_buffered());
        }
    }
}

FrontConnection::FrontConnection(int timeout)
    : in(0, timeout)
    , out(1, timeout)
    , timeout_ms(timeout)
{
}

Status FrontConnection::start_tls(tls::Context const& ctx)
{
    auto session = tls::Session::accept(ctx, 0, 1, timeout_ms);
    if (!session)
        return session.error();
    tls.emplace(std::move(*session));
    in.set_timeout(0); // the session waits by itself
    in.set_read_fn(tls->read_fn());
    out.set_write_fn(tls->write_fn());
    return {};
}

void FrontConnection::finish()
{
    (void)out.flush();
    if (tls)
        tls->shutdown();
}

Result<std::optional<tls::Context>> load_front_tls(std::string const& root)
{
    std::string const cert = root + "/control/tls/cert.pem";
    if (::access(cert.c_str(), F_OK) == -1)
        return std::optional<tls::Context> {};
    auto ctx = tls::Context::server(cert, root + "/control/tls/key.pem");
    if (!ctx)
        return ctx.error();
    return std::optional<tls::Context> { std::move(*ctx) };
}

} // namespace mta::login
