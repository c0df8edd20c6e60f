// svok - checks whether supervise runs for a service (daemontools' svok): `svok DIR`.
// See docs/man/svok.8.md. Exit codes: 0 supervise runs, 100 it does not (or usage),
// 111 DIR cannot be checked.
#include "exit_codes.hpp"
#include "log.hpp"
#include "service_status.hpp"

#include <cerrno>
#include <cstring>
#include <string>
#include <unistd.h>

int main(int argc, char** argv)
{
    return mta::run_main("svok", [&] {
        if (argc != 2)
            mta::log::fatal(mta::kExitPerm, "usage: svok dir");
        if (::chdir(argv[1]) == -1) // as daemontools' svok: a missing DIR is an error
            mta::log::fatal(mta::kExitTemp,
                std::string("unable to chdir to ") + argv[1] + ": " + std::strerror(errno));
        auto running = mta::supervise_running(".");
        if (!running)
            mta::log::fatal(mta::kExitTemp,
                std::string("unable to open ") + argv[1] + "/supervise/ok", running.error());
        return *running ? mta::kExitOk : mta::kExitPerm;
    });
}
