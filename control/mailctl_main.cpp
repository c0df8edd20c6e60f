// mailctl - the administrator's command: sets up, checks and (later) runs an install.
// See docs/man/mailctl.8.md. Exit codes: 0 done, 100 usage error or problems found,
// 111 a temporary failure (one line on stderr names it).
#include "commands.hpp"
#include "exit_codes.hpp"
#include "install_root.hpp"
#include "log.hpp"

#include <cstdio>
#include <string_view>

namespace {

int dispatch(int argc, char** argv)
{
    if (argc < 2) {
        std::fputs(admin::main_help(), stderr);
        return mta::kExitPerm;
    }
    std::string_view const name = argv[1];
    if (name == "--help" || name == "-h" || name == "help") {
        if (argc > 2)
            return admin::print_help(argv[2]);
        std::fputs(admin::main_help(), stdout);
        return mta::kExitOk;
    }
    admin::Command const* command = admin::find_command(name);
    if (!command)
        mta::log::fatal(mta::kExitPerm,
            "unknown command " + std::string(name) + " (mailctl --help lists them)");
    auto root = mta::install_root();
    if (!root)
        mta::log::fatal(mta::kExitTemp, "unable to find the install root", root.error());
    return command->run(*root, admin::Args(argv + 2, argv + argc));
}

} // namespace

int main(int argc, char** argv)
{
    return mta::run_main("mailctl", [&] { return dispatch(argc, argv); });
}
