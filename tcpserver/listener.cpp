#include "listener.hpp"

#include "number.hpp"

#include <arpa/inet.h>
#include <cstring>
#include <netdb.h>
#include <netinet/in.h>
#include <string_view>
#include <unistd.h>

namespace tcpserver {

namespace {

mta::Result<uint16_t> resolve_port(std::string const& port)
{
    if (auto v = mta::parse_decimal<unsigned>(port)) {
        if (*v > 65535)
            return mta::Error::plain("unable to figure out port number");
        return uint16_t(*v);
    }
    servent* se = ::getservbyname(port.c_str(), "tcp");
    if (!se)
        return mta::Error::plain("unable to figure out port number");
    return ntohs(uint16_t(se->s_port));
}

mta::Result<sockaddr_storage> resolve_host(std::string const& host, uint16_t port)
{
    sockaddr_storage ss {};
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (host.empty() || host == "0") {
        v4->sin_family = AF_INET;
        v4->sin_addr.s_addr = htonl(INADDR_ANY);
        v4->sin_port = htons(port);
        return ss;
    }
    if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        return ss;
    }
    if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        return ss;
    }
    addrinfo hints {};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
    if (rc == EAI_AGAIN || rc == EAI_MEMORY || rc == EAI_SYSTEM)
        return mta::Error::plain("temporarily unable to figure out IP address for host");
    if (rc != 0 || !found)
        return mta::Error::plain("no IP address for host");
    std::memcpy(&ss, found->ai_addr, found->ai_addrlen);
    ::freeaddrinfo(found);
    if (ss.ss_family == AF_INET)
        v4->sin_port = htons(port);
    else
        v6->sin6_port = htons(port);
    return ss;
}

} // namespace

mta::Result<Listener> listen_on(std::string const& host, std::string const& port, int backlog)
{
    auto number = resolve_port(port);
    if (!number)
        return number.error();
    auto address = resolve_host(host, *number);
    if (!address)
        return address.error();
    int const family = address->ss_family;
    mta::Fd fd(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd.valid())
        return mta::Error::from_errno("unable to create socket");
    int on = 1, off = 0;
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == -1)
        return mta::Error::from_errno("unable to set SO_REUSEADDR");
    if (family == AF_INET6
        && ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) == -1)
        return mta::Error::from_errno("unable to clear IPV6_V6ONLY");
    socklen_t len = family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&*address), len) == -1)
        return mta::Error::from_errno("unable to bind");
    if (::listen(fd.get(), backlog) == -1)
        return mta::Error::from_errno("unable to listen");
    sockaddr_storage bound {};
    socklen_t bound_len = sizeof bound;
    if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &bound_len) == -1)
        return mta::Error::from_errno("unable to get local address");
    return Listener { std::move(fd), describe(bound).port };
}

SocketAddress describe(sockaddr_storage const& sa)
{
    char buf[INET6_ADDRSTRLEN] = "";
    if (sa.ss_family == AF_INET) {
        auto const* v4 = reinterpret_cast<sockaddr_in const*>(&sa);
        ::inet_ntop(AF_INET, &v4->sin_addr, buf, sizeof buf);
        return { false, buf, ntohs(v4->sin_port) };
    }
    auto const* v6 = reinterpret_cast<sockaddr_in6 const*>(&sa);
    if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
        ::inet_ntop(AF_INET, &v6->sin6_addr.s6_addr[12], buf, sizeof buf);
        return { false, buf, ntohs(v6->sin6_port) };
    }
    ::inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof buf);
    return { true, buf, ntohs(v6->sin6_port) };
}

} // namespace tcpserver
