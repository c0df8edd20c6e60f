// tcpserver - accepts TCP connections and runs a program for each, with the socket on
// descriptors 0 and 1 and the TCP* environment (ucspi-tcp 0.88 compatible, plus IPv6, CIDR
// rules and a per-client-IP limit). See docs/man/tcpserver.8.md.
// Exit codes: 0 after SIGTERM; 100 usage error; 111 a temporary failure (unable to bind,
// unknown account, unable to drop privileges).
#include "exit_codes.hpp"
#include "fd.hpp"
#include "listener.hpp"
#include "log.hpp"
#include "options.hpp"
#include "server.hpp"

#include <fcntl.h>
#include <string>
#include <unistd.h>

namespace {

int g_verbosity = 1;

[[noreturn]] void die_usage(char const* problem)
{
    mta::log::fatal(mta::kExitPerm,
        std::string(problem)
            + "\nusage: tcpserver [ -1UXpPhHrRoOdDqQv ] [ -c limit ] [ -C perip ] [ -x rules.cdb ] "
              "[ -B banner ] [ -g gid ] [ -u uid ] [ -b backlog ] [ -l localname ] "
              "[ -t timeout ] host port program [ arg ... ]");
}

// ucspi-tcp's -q silences even fatal errors.
[[noreturn]] void die(std::string const& text, mta::Error const& error)
{
    if (g_verbosity >= 1)
        mta::log::fatal(mta::kExitTemp, text, error);
    _exit(mta::kExitTemp);
}

// -1: the port on standard output; then descriptors 0 and 1 point to /dev/null, so a
// reader of the port sees end of file and accepted sockets never take numbers 0 or 1.
void release_standard_fds(tcpserver::Options const& o, uint16_t port)
{
    if (o.print_port)
        (void)mta::write_all(1, std::to_string(port) + "\n");
    int null = ::open("/dev/null", O_RDWR);
    if (null == -1)
        die("unable to open /dev/null", mta::Error::from_errno("open"));
    if (::dup2(null, 0) == -1 || ::dup2(null, 1) == -1)
        die("unable to set up descriptors", mta::Error::from_errno("dup2"));
    if (null > 1)
        ::close(null);
}

} // namespace

int main(int argc, char** argv)
{
    return mta::run_main("tcpserver", [&] {
        auto const options = tcpserver::parse_options(argc, argv);
        if (!options)
            die_usage(options.error().what);
        g_verbosity = options->verbosity;
        auto const ids = tcpserver::resolve_ids(*options);
        if (!ids)
            die("unable to look up -u/-g", ids.error());
        auto listener = tcpserver::listen_on(options->host, options->port, options->backlog);
        if (!listener)
            die("unable to listen on " + options->host + " port " + options->port,
                listener.error());
        if (auto st = tcpserver::drop_to(*ids); !st)
            die("unable to drop privileges", st.error());
        release_standard_fds(*options, listener->port);
        return tcpserver::serve(*options, std::move(listener->fd));
    });
}
