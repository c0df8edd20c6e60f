// imapd - the IMAP4rev1 server (docs/man/imapd.8.md, docs/imap.md). Started as root by
// tcpserver for each connection, it splits into a monitor (root, never reads the
// network), a front (msd: greeting, STARTTLS, LOGIN) and a session (the mailbox owner),
// as pop3d does (lib/login_monitor.hpp). `imapd Maildir`, run as the mailbox owner,
// serves that Maildir at once with a PREAUTH greeting (tunnels, tests).
//
// Exit codes: 0 the connection ended, 1 a mailbox of root, 100 usage, 111 a temporary
// problem (setup, I/O, timeout).
#include "buffer.hpp"
#include "env.hpp"
#include "exit_codes.hpp"
#include "fd.hpp"
#include "front.hpp"
#include "log.hpp"
#include "login_monitor.hpp"
#include "process.hpp"
#include "session.hpp"

#include <cerrno>
#include <climits>
#include <poll.h>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

namespace {

[[noreturn]] void die(int code, std::string_view text)
{
    (void)mta::write_all(1, "* BYE " + std::string(text) + "\r\n");
    mta::log::fatal(code, text);
}

[[noreturn]] void die_usage()
{
    mta::log::fatal(mta::kExitPerm, "usage: imapd [--tls] | imapd Maildir");
}

imapd::Config load_config(char const* maildir)
{
    if (::getuid() == 0 || ::geteuid() == 0)
        die(1, "refusing to serve a mailbox as root");
    if (maildir[0] == '\0' || ::chdir(maildir) == -1)
        die(mta::kExitTemp, "this user has no Maildir");
    char cwd[PATH_MAX];
    if (!::getcwd(cwd, sizeof cwd))
        die(mta::kExitTemp, "unable to find the Maildir's path");
    imapd::Config config;
    config.maildir = cwd;
    return config;
}

// Whole writes on a non-blocking descriptor, waiting at most timeout_ms for room each
// time: a big FETCH goes out in a few system calls instead of PIPE_BUF-sized pieces.
mta::WriteFn timed_write(int timeout_ms)
{
    return [timeout_ms](int fd, void const* buf, size_t len) -> ssize_t {
        for (;;) {
            ssize_t n = ::write(fd, buf, len);
            if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
                return n;
            if (errno == EINTR)
                continue;
            struct pollfd p = { fd, POLLOUT, 0 };
            int ready = ::poll(&p, 1, timeout_ms);
            if (ready == 0) {
                errno = ETIMEDOUT;
                return -1;
            }
            if (ready == -1 && errno != EINTR)
                return -1;
        }
    };
}

// The mailbox engine: after a login (the front has answered it) or PREAUTH.
int serve(char const* maildir, bool preauth)
{
    ::umask(077);
    imapd::Config const config = load_config(maildir);
    mta::ignore_sigpipe();
    mta::Reader in(0, config.timeout_ms);
    bool const nonblocking = mta::set_nonblocking(1, true).ok();
    mta::Writer out(1, nonblocking ? 0 : config.timeout_ms,
        nonblocking ? timed_write(config.timeout_ms) : mta::WriteFn());
    imapd::Session session(config, in, out);
    std::string const greeting = preauth
        ? "* PREAUTH [CAPABILITY " + imapd::capabilities() + "] mail-suite IMAP ready\r\n"
        : std::string();
    return session.run(greeting);
}

int monitor(bool implicit_tls)
{
    auto code = mta::login::run_monitor({ "imapd", implicit_tls,
        [](std::string const& line) { (void)mta::write_all(2, "imapd: " + line + "\n"); },
        [](std::string const& text, mta::Error error) { mta::log::warn(text, error); } });
    if (!code)
        mta::log::fatal(mta::kExitTemp, "unable to start", code.error());
    return *code;
}

int dispatch(int argc, char** argv)
{
    std::string_view const mode = argc > 1 ? argv[1] : "";
    if (argc == 1) // IMAPS=1: the imaps service's run script asks for implicit TLS
        return monitor(mta::env_or("IMAPS", "") == "1");
    if (mode == "--tls" && argc == 2)
        return monitor(true);
    if (mode == "--front" && argc == 3)
        return imapd::run_front(std::string_view(argv[2]) == "tls");
    if (mode == "--session" && argc == 4)
        return serve(argv[2], false);
    if (mode == "--report" && argc == 2)
        return mta::login::run_report();
    if (argc == 2 && mode.substr(0, 1) != "-")
        return serve(argv[1], true);
    die_usage();
}

} // namespace

int main(int argc, char** argv)
{
    return mta::run_main("imapd", [&] { return dispatch(argc, argv); });
}
