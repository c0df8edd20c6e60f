// rspawn - the remote spawner (qmail-rspawn): reads delivery commands from send on fd 0,
// runs remote's delivery code for each in a forked child (no exec; remote_hook.hpp), and
// writes the results to fd 1 (the protocol of lib/spawn_driver.hpp). Runs as msr, started
// by start; clears queue/lock/tcpto when it starts. See docs/man/rspawn.8.md. Exit codes:
// 0 when send closed fd 0 and every delivery reported, 100 usage, 111 a startup problem or
// a lost connection to send.
#include "exit_codes.hpp"
#include "log.hpp"
#include "process.hpp"
#include "remote_hook.hpp"
#include "setup.hpp"
#include "spawn_driver.hpp"

int main(int argc, char** argv)
{
    return mta::run_main("rspawn", [&] {
        rspawn::Config const config = rspawn::load_config(argc, argv);
        mta::ignore_sigpipe();
        rspawn::clear_tcpto(config);
        rspawn::enter_message_dir(config);
        rspawn::RemoteHook hook(config.root);
        mta::SpawnerOptions options;
        options.queue_uid = config.queue_uid;
        options.name = "rspawn";
        options.report_limit = rspawn::kReportLimit;
        if (auto st = mta::serve_spawner(hook, options); !st)
            mta::log::fatal(mta::kExitTemp, "lost connection to send", st.error());
        return mta::kExitOk;
    });
}
