#include "net.hpp"

#include <arpa/inet.h>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace remote {

std::string IpAddress::to_string() const
{
    char buf[INET6_ADDRSTRLEN] = "";
    if (::inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf) == nullptr)
        return "?";
    return buf;
}

std::optional<IpAddress> parse_ip(std::string_view text)
{
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN)
        return std::nullopt;
    std::string const s(text);
    IpAddress ip;
    if (::inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1)
        return ip;
    ip.v6 = true;
    if (::inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) == 1)
        return ip;
    return std::nullopt;
}

mta::Result<mta::Fd> connect_tcp(IpAddress const& ip, unsigned port, int timeout_ms)
{
    sockaddr_storage ss {};
    socklen_t len = 0;
    if (ip.v6) {
        auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
        sa->sin6_family = AF_INET6;
        sa->sin6_port = htons(static_cast<std::uint16_t>(port));
        std::memcpy(&sa->sin6_addr, ip.bytes.data(), 16);
        len = sizeof *sa;
    } else {
        auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
        sa->sin_family = AF_INET;
        sa->sin_port = htons(static_cast<std::uint16_t>(port));
        std::memcpy(&sa->sin_addr, ip.bytes.data(), 4);
        len = sizeof *sa;
    }
    mta::Fd fd(::socket(ip.v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd.valid())
        return mta::Error::from_errno("unable to create socket");
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) == -1) {
        if (errno != EINPROGRESS)
            return mta::Error::from_errno("unable to connect");
        pollfd p { fd.get(), POLLOUT, 0 };
        int n;
        while ((n = ::poll(&p, 1, timeout_ms)) == -1 && errno == EINTR) { }
        if (n == -1)
            return mta::Error::from_errno("unable to connect");
        if (n == 0)
            return mta::Error { ETIMEDOUT, "unable to connect" };
        int err = 0;
        socklen_t errlen = sizeof err;
        if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &errlen) == -1)
            return mta::Error::from_errno("unable to connect");
        if (err != 0)
            return mta::Error { err, "unable to connect" };
    }
    if (auto st = mta::set_nonblocking(fd.get(), false); !st)
        return st.error();
    // Every write is a whole command or a whole piece of the message: Nagle's delay only
    // adds a delayed-ACK round (40 ms) to the pieces after the first.
    int one = 1;
    (void)::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

} // namespace remote
