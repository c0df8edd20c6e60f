// auth - checks one login for smtpd, pop3d and imapd: the checkpassword interface.
// Installed setuid msp (the only account besides root that reads users/passwd). See
// docs/man/auth.8.md.
//
// Reads "login NUL password NUL challenge NUL" (at most 512 bytes) from fd 3; the login
// is a virtual user's address. Exit codes: 0 good (after running the rest of the command
// line, if any, with USER and HOME set), 1 bad login or password (after
// control/authfaildelay seconds, default 2), 2 malformed input, 111 temporary failure.
#include "checkpassword.hpp"
#include "control.hpp"
#include "exit_codes.hpp"
#include "fd.hpp"
#include "install_root.hpp"
#include "log.hpp"
#include "passwd.hpp"

#include <cstdlib>
#include <ctime>
#include <unistd.h>

// Sanitizer builds only: LeakSanitizer cannot inspect a setuid process (see queue_main.cpp).
extern "C" int __lsan_is_turned_off() // NOLINT(bugprone-reserved-identifier): fixed hook
{
    return ::getuid() != ::geteuid();
}

namespace {

constexpr int kExitBad = 1;
constexpr int kExitMisuse = 2;

// Makes the real and saved uid msp too, so the programs auth runs cannot return to the
// caller's uid (root, when pop3d runs it before dropping privileges).
void settle_uid()
{
    uid_t const uid = ::geteuid();
    if (::setresuid(uid, uid, uid) == -1)
        mta::log::fatal(mta::kExitTemp, "unable to set uid", mta::Error::from_errno("setresuid"));
}

std::string read_request()
{
    std::string bytes;
    char buf[auth::kMaxRequestBytes + 1];
    for (;;) {
        ssize_t n = ::read(3, buf, sizeof buf);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            mta::log::fatal(kExitMisuse, "unable to read fd 3", mta::Error::from_errno("read"));
        if (n == 0)
            break;
        bytes.append(buf, size_t(n));
        if (bytes.size() > auth::kMaxRequestBytes)
            mta::log::fatal(kExitMisuse, "more than 512 bytes on fd 3");
    }
    ::close(3);
    return bytes;
}

long long fail_delay(std::string const& root)
{
    auto value = mta::control::read_int(root + "/control/authfaildelay");
    if (!value)
        mta::log::fatal(mta::kExitTemp, "control/authfaildelay", value.error());
    long long const delay = value->value_or(auth::kDefaultFailDelay);
    return delay < 0 ? 0 : delay > auth::kMaxFailDelay ? auth::kMaxFailDelay : delay;
}

[[noreturn]] void fail(long long delay)
{
    timespec ts { static_cast<time_t>(delay), 0 };
    while (::nanosleep(&ts, &ts) == -1 && errno == EINTR) { }
    _exit(kExitBad);
}

bool check(auth::Request const& request, std::string const& root)
{
    auto text = mta::read_file(root + "/users/passwd", size_t(256) << 20);
    if (!text && text.error().errnum != ENOENT)
        mta::log::fatal(mta::kExitTemp, "unable to read users/passwd", text.error());
    auto entries = mta::passwd::parse(text ? *text : std::string());
    if (!entries)
        mta::log::fatal(mta::kExitTemp, "users/passwd is malformed");
    mta::passwd::Entry const* entry = mta::passwd::find(*entries, request.login);
    return mta::passwd::verify(request.password, entry ? entry->hash : std::string())
        && entry != nullptr;
}

[[noreturn]] void run_next(char** argv, auth::Request const& request, std::string const& root)
{
    std::string const home = auth::home_of(request.login, root);
    if (::setenv("USER", request.login.c_str(), 1) == -1 || ::setenv("HOME", home.c_str(), 1) == -1
        || ::setenv("SHELL", "/bin/sh", 1) == -1)
        mta::log::fatal(mta::kExitTemp, "out of memory");
    ::execv(argv[0], argv);
    mta::log::fatal(
        mta::kExitTemp, std::string("unable to run ") + argv[0], mta::Error::from_errno("exec"));
}

} // namespace

int main(int argc, char** argv)
{
    return mta::run_main("auth", [&] {
        settle_uid();
        std::string bytes = read_request();
        auto root = mta::install_root();
        if (!root)
            mta::log::fatal(mta::kExitTemp, "unable to find the install root", root.error());
        long long const delay = fail_delay(*root);
        auto request = auth::parse_request(bytes);
        std::fill(bytes.begin(), bytes.end(), '\0');
        if (!request)
            mta::log::fatal(kExitMisuse, "malformed input on fd 3 (login NUL password NUL)");
        if (!check(*request, *root))
            fail(delay);
        if (argc > 1)
            run_next(argv + 1, *request, *root);
        return mta::kExitOk;
    });
}
