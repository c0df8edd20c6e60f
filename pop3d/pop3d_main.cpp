// pop3d - the POP3 server (RFC 1939, CAPA, UIDL, TOP, USER/PASS, AUTH PLAIN, STLS, and
// implicit TLS with --tls), started as root by tcpserver for each connection; it splits
// itself into a monitor (root, never reads the network), a front (msd, before login) and
// a session (the mailbox owner). See docs/man/pop3d.8.md and docs/pop3.md.
// Exit codes: 0 the connection ended, 100 usage, 111 a temporary problem.
#include "env.hpp"
#include "exit_codes.hpp"
#include "fd.hpp"
#include "log.hpp"
#include "login_monitor.hpp"
#include "process.hpp"
#include "processes.hpp"

#include <string>
#include <string_view>
#include <unistd.h>

namespace {

[[noreturn]] void die_usage()
{
    mta::log::fatal(mta::kExitPerm, "usage: pop3d [--tls]");
}

// The root monitor (lib/login_monitor.hpp); its log lines are "pop3d: login for U from IP".
int monitor(bool implicit_tls)
{
    if (::geteuid() != 0)
        mta::log::fatal(mta::kExitTemp,
            "must start as root (it runs its parts as msd and as the mailbox owner)");
    mta::ignore_sigpipe();
    mta::login::MonitorOptions options;
    options.program = "pop3d";
    options.implicit_tls = implicit_tls;
    options.log = [](std::string const& line) { (void)mta::write_all(2, "pop3d: " + line + "\n"); };
    options.warn = [](std::string const& text, mta::Error error) { mta::log::warn(text, error); };
    auto code = mta::login::run_monitor(options);
    if (!code)
        mta::log::fatal(mta::kExitTemp, "unable to start", code.error());
    return *code;
}

int dispatch(int argc, char** argv)
{
    std::string_view const mode = argc > 1 ? argv[1] : "";
    if (argc == 1) // POP3S=1 in the environment means --tls, like smtpd's SMTPS=1
        return monitor(mta::env_or("POP3S", "") == "1");
    if (mode == "--tls" && argc == 2)
        return monitor(true);
    if (mode == "--front" && argc == 3)
        return pop3d::run_front(std::string_view(argv[2]) == "tls");
    if (mode == "--session" && argc == 4)
        return pop3d::run_session(argv[2], argv[3]);
    if (mode == "--report" && argc == 2)
        return mta::login::run_report();
    die_usage();
}

} // namespace

int main(int argc, char** argv)
{
    return mta::run_main("pop3d", [&] { return dispatch(argc, argv); });
}
