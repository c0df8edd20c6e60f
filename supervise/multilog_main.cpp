// multilog - reads lines from standard input and appends the selected ones, timestamped,
// to automatically rotated log directories (daemontools' multilog): `multilog script`.
// See docs/man/multilog.8.md. Exit codes: 0 at end of input or after SIGTERM, 100 a bad
// script, 111 a log directory that cannot be set up (or is locked by another multilog).
#include "exit_codes.hpp"
#include "log.hpp"
#include "log_script.hpp"
#include "logger.hpp"

int main(int argc, char** argv)
{
    return mta::run_main("multilog", [&] {
        auto script = sv::parse_script(std::vector<std::string>(argv + 1, argv + argc));
        if (!script)
            mta::log::fatal(
                mta::kExitPerm, std::string("usage: multilog script: ") + script.error().what);
        sv::Logger logger(std::move(*script));
        logger.open_or_die();
        return logger.run();
    });
}
