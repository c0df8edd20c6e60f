#include "auth.hpp"

#include "assign.hpp"
#include "fd.hpp"
#include "process.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <cerrno>
#include <csignal>
#include <netinet/in.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace smtpd {

namespace {

constexpr std::string_view kAlphabet
    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c)
{
    auto const at = kAlphabet.find(c);
    return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

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
    if (text.empty() || text.size() % 4 != 0)
        return std::nullopt;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        std::array<int, 4> v {};
        int pad = 0;
        for (int k = 0; k < 4; ++k) {
            char const c = text[i + static_cast<std::size_t>(k)];
            if (c == '=' && i + 4 == text.size() && k >= 2) {
                v[static_cast<std::size_t>(k)] = 0;
                ++pad;
                continue;
            }
            if (pad > 0)
                return std::nullopt; // data after padding
            v[static_cast<std::size_t>(k)] = base64_value(c);
            if (v[static_cast<std::size_t>(k)] < 0)
                return std::nullopt;
        }
        unsigned const bits = static_cast<unsigned>(v[0]) << 18 | static_cast<unsigned>(v[1]) << 12
            | static_cast<unsigned>(v[2]) << 6 | static_cast<unsigned>(v[3]);
        out += static_cast<char>(bits >> 16 & 0xff);
        if (pad < 2)
            out += static_cast<char>(bits >> 8 & 0xff);
        if (pad < 1)
            out += static_cast<char>(bits & 0xff);
    }
    return out;
}

std::string encode_base64(std::string_view bytes)
{
    std::string out;
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        std::size_t const n = std::min<std::size_t>(3, bytes.size() - i);
        unsigned bits = 0;
        for (std::size_t k = 0; k < 3; ++k)
            bits = bits << 8 | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
        out += kAlphabet[bits >> 18 & 63];
        out += kAlphabet[bits >> 12 & 63];
        out += n > 1 ? kAlphabet[bits >> 6 & 63] : '=';
        out += n > 2 ? kAlphabet[bits & 63] : '=';
    }
    return out;
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
