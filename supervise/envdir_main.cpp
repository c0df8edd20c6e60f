// envdir - runs a program with environment variables set from a directory of files
// (daemontools' envdir): `envdir dir child [args...]`. See docs/man/envdir.8.md. Exit
// codes: 100 usage, 111 the directory cannot be read or child cannot be run; otherwise
// child's.
#include "env_dir.hpp"
#include "exit_codes.hpp"
#include "log.hpp"

#include <cstdlib>
#include <unistd.h>

int main(int argc, char** argv)
{
    return mta::run_main("envdir", [&]() -> int {
        if (argc < 3)
            mta::log::fatal(mta::kExitPerm, "usage: envdir dir child");
        auto changes = sv::read_env_dir(argv[1]);
        if (!changes)
            mta::log::fatal(
                mta::kExitTemp, std::string("unable to read ") + argv[1], changes.error());
        for (auto const& c : *changes) {
            int r = c.value ? ::setenv(c.name.c_str(), c.value->c_str(), 1)
                            : ::unsetenv(c.name.c_str());
            if (r == -1)
                mta::log::fatal(
                    mta::kExitTemp, "unable to set " + c.name, mta::Error::from_errno("setenv"));
        }
        ::execvp(argv[2], argv + 2);
        mta::log::fatal(mta::kExitTemp, std::string("unable to run ") + argv[2],
            mta::Error::from_errno("exec"));
    });
}
