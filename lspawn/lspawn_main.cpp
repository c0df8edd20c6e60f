// lspawn - the local spawner (qmail-lspawn): reads delivery commands from send on fd 0,
// runs local's delivery in a forked child as each recipient's account (no exec of
// ROOT/bin/local: lspawn/local_hook.hpp), and writes the results to fd 1 (the protocol of
// lib/spawn_driver.hpp). Runs as root, started by start; see
// docs/man/lspawn.8.md. Exit codes: 0 when send closed fd 0 and every delivery reported,
// 100 usage, 111 a startup problem or a lost connection to send (one line on stderr).
#include "config.hpp"
#include "exit_codes.hpp"
#include "local_hook.hpp"
#include "log.hpp"
#include "process.hpp"
#include "spawn_driver.hpp"

int main(int argc, char** argv)
{
    return mta::run_main("lspawn", [&] {
        lspawn::Config const config = lspawn::load_config(argc, argv);
        mta::ignore_sigpipe();
        lspawn::enter_message_dir(config);
        lspawn::AliasHome const accounts(config.root);
        lspawn::LocalHook hook(config.root, config.default_delivery, accounts);
        mta::SpawnerOptions options;
        options.queue_uid = config.queue_uid;
        options.name = "lspawn";
        if (auto st = mta::serve_spawner(hook, options); !st)
            mta::log::fatal(mta::kExitTemp, "lost connection to send", st.error());
        return mta::kExitOk;
    });
}
