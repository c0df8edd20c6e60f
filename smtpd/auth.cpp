#include "auth.hpp"

#include "assign.hpp"
#include "base64.hpp"
#include "fd.hpp"
#include "process.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <netinet/in.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace smtpd {

namespace {

// The domain of an address, "" without one.
std::string_view domain_of(std::string_view address)
{
    auto const at = address.rfind('@');
    return at == std::string_view::npos ? std::string_view() : address.substr(at + 1);
}

Verdict verdict_of(mta::ExitStatus status)
{
    if (status.exited_ok())
        return Verdict::good;
    if (status.exited_with(1) || status.exited_with(2))
        return Verdict::bad;
    return Verdict::temporary;
}

// Waits for the child's exit at most timeout_ms, through a pidfd (Linux 5.3); without
// one, waits as long as it takes.
mta::Result<Verdict> wait_bounded(mta::Child& child, int timeout_ms)
{
    int const pidfd = static_cast<int>(::syscall(SYS_pidfd_open, child.pid(), 0));
    if (pidfd >= 0) {
        mta::Fd owner(pidfd);
        pollfd p { pidfd, POLLIN, 0 };
        int n;
        while ((n = ::poll(&p, 1, timeout_ms)) == -1 && errno == EINTR) { }
        if (n == 0) {
            // A setuid checker cannot be killed by us: it is left to end on its own.
            (void)child.kill(SIGKILL);
            (void)child.release();
            return Verdict::temporary;
        }
    }
    auto status = child.wait();
    if (!status)
        return status.error();
    return verdict_of(*status);
}

} // namespace

std::optional<std::string> decode_base64(std::string_view text)
{
    if (text == "=")
        return std::string();
    if (text.empty())
        return std::nullopt;
    return mta::decode_base64(text);
}

std::optional<Credentials> parse_plain(std::string_view message)
{
    auto const first = message.find('\0');
    if (first == std::string_view::npos)
        return std::nullopt;
    auto const second = message.find('\0', first + 1);
    if (second == std::string_view::npos)
        return std::nullopt;
    std::string_view const authzid = message.substr(0, first);
    std::string_view const login = message.substr(first + 1, second - first - 1);
    std::string_view const password = message.substr(second + 1);
    if (login.empty() || password.empty() || login.size() > kMaxLoginBytes
        || password.size() > kMaxPasswordBytes || password.find('\0') != std::string_view::npos)
        return std::nullopt;
    if (!authzid.empty() && mta::assign::lowercase(authzid) != mta::assign::lowercase(login))
        return std::nullopt;
    return Credentials { std::string(login), std::string(password) };
}

bool is_loopback(std::string_view ip)
{
    std::string const text(ip);
    unsigned char bytes[16];
    if (::inet_pton(AF_INET, text.c_str(), bytes) == 1)
        return bytes[0] == 127;
    if (::inet_pton(AF_INET6, text.c_str(), bytes) != 1)
        return false;
    static constexpr unsigned char kMapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    if (std::equal(kMapped, kMapped + 12, bytes))
        return bytes[12] == 127;
    static constexpr unsigned char kOne[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
    return std::equal(kOne, kOne + 16, bytes);
}

std::vector<AuthSender> parse_authsenders(std::vector<std::string> const& lines)
{
    std::vector<AuthSender> out;
    for (auto const& line : lines) {
        // The login is an address and contains no ':'; the pattern follows the first one.
        auto const colon = line.find(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == line.size())
            continue;
        out.push_back(AuthSender { mta::assign::lowercase(line.substr(0, colon)),
            mta::assign::lowercase(line.substr(colon + 1)) });
    }
    return out;
}

bool sender_allowed(
    std::string_view login, std::string_view sender, std::vector<AuthSender> const& authsenders)
{
    if (sender.empty())
        return true;
    std::string const who = mta::assign::lowercase(login);
    std::string const address = mta::assign::lowercase(sender);
    if (address == who)
        return true;
    std::string const at_domain = "@" + std::string(domain_of(address));
    bool const has_domain = at_domain.size() > 1;
    return std::any_of(authsenders.begin(), authsenders.end(), [&](AuthSender const& a) {
        return a.login == who && (a.pattern == address || (has_domain && a.pattern == at_domain));
    });
}

mta::Result<Verdict> check_password(Checker const& checker, Credentials const& credentials,
    std::string const& challenge, int timeout_ms)
{
    auto pipe = mta::make_pipe();
    if (!pipe)
        return pipe.error();
    mta::SpawnOptions options;
    options.fds = { { 0, 0 }, { 1, 1 }, { 2, 2 }, { 3, pipe->read_end.get() } };
    std::vector<std::string> argv { checker.program };
    if (!checker.ours)
        argv.emplace_back("/bin/true");
    // The checker gets /dev/null instead of the client's connection.
    auto devnull = mta::open_read("/dev/null");
    if (!devnull)
        return devnull.error();
    options.fds[0].parent_fd = devnull->get();
    options.fds[1].parent_fd = devnull->get();
    auto child = mta::Child::spawn(argv, options);
    if (!child)
        return child.error();
    (void)pipe->read_end.close();
    std::string request = credentials.login + '\0' + credentials.password + '\0' + challenge + '\0';
    auto written = mta::write_all(pipe->write_end.get(), request);
    std::fill(request.begin(), request.end(), '\0');
    (void)pipe->write_end.close();
    if (!written && written.error().errnum != EPIPE)
        return written.error();
    return wait_bounded(*child, timeout_ms);
}

} // namespace smtpd
