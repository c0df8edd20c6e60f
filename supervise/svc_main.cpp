// svc - controls supervised services (daemontools' svc): `svc -udopchaitkx dirs...`
// writes the option letters, each once and in order, to DIR/supervise/control. See
// docs/man/svc.8.md. Exit codes: 0 (a service that cannot be controlled is a warning),
// 100 usage.
#include "exit_codes.hpp"
#include "log.hpp"
#include "service_status.hpp"

#include <string>
#include <unistd.h>

namespace {

constexpr const char* kUsage = "svc options: u up, d down, o once, x exit, p pause, c continue, "
                               "h hup, a alarm, i interrupt, t term, k kill";

int run(int argc, char** argv)
{
    std::string commands;
    int opt;
    while ((opt = ::getopt(argc, argv, "udopchaitkx")) != -1) {
        if (opt == '?')
            mta::log::fatal(mta::kExitPerm, kUsage);
        if (commands.find(static_cast<char>(opt)) == std::string::npos)
            commands += static_cast<char>(opt);
    }
    for (int i = optind; i < argc; ++i) {
        std::string const dir = argv[i];
        if (auto st = mta::send_control(dir, commands); !st)
            mta::log::warn("unable to control " + dir, st.error());
    }
    return mta::kExitOk;
}

} // namespace

int main(int argc, char** argv)
{
    return mta::run_main("svc", [&] { return run(argc, argv); });
}
