// supervise - starts and monitors one service (daemontools' supervise): `supervise DIR`
// runs DIR/run, restarts it when it exits, obeys DIR/supervise/control and keeps
// DIR/supervise/status. See docs/man/supervise.8.md. Exit codes: 0 after `svc -x` once
// the service is down, 100 usage, 111 DIR cannot be set up or is supervised already.
#include "exit_codes.hpp"
#include "log.hpp"
#include "supervisor.hpp"

int main(int argc, char** argv)
{
    return mta::run_main("supervise", [&] {
        if (argc != 2)
            mta::log::fatal(mta::kExitPerm, "usage: supervise dir");
        sv::Supervisor supervisor(argv[1]);
        supervisor.setup_or_die();
        return supervisor.run();
    });
}
