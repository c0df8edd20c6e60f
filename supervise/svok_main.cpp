// svok - checks whether supervise runs for a service (daemontools' svok): `svok DIR`.
// See docs/man/svok.8.md. Exit codes: 0 supervise runs, 100 it does not (or usage),
// 111 DIR cannot be checked.
#include "exit_codes.hpp"
#include "log.hpp"
#include "service_status.hpp"

int main(int argc, char** argv)
{
    return mta::run_main("svok", [&] {
        if (argc != 2)
            mta::log::fatal(mta::kExitPerm, "usage: svok dir");
        auto running = mta::supervise_running(argv[1]);
        if (!running)
            mta::log::fatal(mta::kExitTemp,
                std::string("unable to open ") + argv[1] + "/supervise/ok", running.error());
        return *running ? mta::kExitOk : mta::kExitPerm;
    });
}
