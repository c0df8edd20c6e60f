#include "ident.hpp"

#include "fd.hpp"
#include "number.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tcpserver {

namespace {

using Clock = std::chrono::steady_clock;

constexpr uint16_t kIdentPort = 113;
constexpr std::string_view kBlanks = " \t\r\n";

std::string_view trim(std::string_view s)
{
    auto first = s.find_first_not_of(kBlanks);
    if (first == std::string_view::npos)
        return {};
    return s.substr(first, s.find_last_not_of(kBlanks) - first + 1);
}

bool is_port(std::string_view text, uint16_t port)
{
    text = trim(text);
    return mta::parse_decimal<unsigned>(text) == port;
}

sockaddr_storage to_sockaddr(SocketAddress const& a, uint16_t port, socklen_t& len)
{
    sockaddr_storage ss {};
    if (a.v6) {
        auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        ::inet_pton(AF_INET6, a.ip.c_str(), &v6->sin6_addr);
        len = sizeof(sockaddr_in6);
    } else {
        auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        ::inet_pton(AF_INET, a.ip.c_str(), &v4->sin_addr);
        len = sizeof(sockaddr_in);
    }
    return ss;
}

// Waits for events on fd until the deadline; false on timeout or error.
bool wait_for(int fd, short events, Clock::time_point deadline)
{
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0)
            return false;
        pollfd pfd { fd, events, 0 };
        int rc = ::poll(&pfd, 1, int(left.count()));
        if (rc > 0)
            return true;
        if (rc == -1 && errno != EINTR)
            return false;
    }
}

bool connect_by(int fd, SocketAddress const& remote, Clock::time_point deadline)
{
    socklen_t len = 0;
    sockaddr_storage to = to_sockaddr(remote, kIdentPort, len);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&to), len) == 0)
        return true;
    if (errno != EINPROGRESS || !wait_for(fd, POLLOUT, deadline))
        return false;
    int error = 0;
    socklen_t error_len = sizeof error;
    return ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_len) == 0 && error == 0;
}

// One reply line (without LF), or nullopt.
std::optional<std::string> read_reply(int fd, Clock::time_point deadline)
{
    std::string reply;
    char buf[256];
    while (reply.find('\n') == std::string::npos) {
        if (reply.size() > kMaxIdentReply || !wait_for(fd, POLLIN, deadline))
            return std::nullopt;
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n == -1 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            return std::nullopt;
        reply.append(buf, size_t(n));
    }
    return reply.substr(0, reply.find('\n'));
}

} // namespace

std::optional<std::string> parse_ident_reply(
    std::string_view reply, uint16_t remote_port, uint16_t local_port)
{
    auto c1 = reply.find(':');
    auto c2 = reply.find(':', c1 == std::string_view::npos ? c1 : c1 + 1);
    auto c3 = reply.find(':', c2 == std::string_view::npos ? c2 : c2 + 1);
    if (c3 == std::string_view::npos)
        return std::nullopt;
    auto ports = reply.substr(0, c1);
    auto comma = ports.find(',');
    if (comma == std::string_view::npos || !is_port(ports.substr(0, comma), remote_port)
        || !is_port(ports.substr(comma + 1), local_port))
        return std::nullopt;
    if (trim(reply.substr(c1 + 1, c2 - c1 - 1)) != "USERID")
        return std::nullopt;
    auto user = trim(reply.substr(c3 + 1));
    if (user.empty() || user.size() > kMaxIdentUser)
        return std::nullopt;
    for (char c : user)
        if (c < '!' || c > '~')
            return std::nullopt;
    return std::string(user);
}

std::optional<std::string> ident_lookup(
    SocketAddress const& local, SocketAddress const& remote, unsigned long timeout_seconds)
{
    auto const deadline = Clock::now() + std::chrono::seconds(timeout_seconds);
    mta::Fd fd(
        ::socket(remote.v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd.valid())
        return std::nullopt;
    socklen_t len = 0;
    sockaddr_storage from = to_sockaddr(local, 0, len);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&from), len) == -1)
        return std::nullopt;
    if (!connect_by(fd.get(), remote, deadline))
        return std::nullopt;
    std::string const query
        = std::to_string(remote.port) + " , " + std::to_string(local.port) + "\r\n";
    if (!wait_for(fd.get(), POLLOUT, deadline)
        || ::write(fd.get(), query.data(), query.size()) != ssize_t(query.size()))
        return std::nullopt;
    auto reply = read_reply(fd.get(), deadline);
    if (!reply)
        return std::nullopt;
    return parse_ident_reply(*reply, remote.port, local.port);
}

} // namespace tcpserver
