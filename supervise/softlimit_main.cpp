// softlimit - runs a program with lower soft resource limits (daemontools' softlimit):
// `softlimit [-m n] [-a n] [-d n] [-s n] [-l n] [-f n] [-c n] [-o n] [-p n] [-r n] [-t n]
// child [args...]`. See docs/man/softlimit.8.md. Exit codes: 100 usage, 111 a limit that
// cannot be set or a child that cannot be run; otherwise child's.
#include "exit_codes.hpp"
#include "limits.hpp"
#include "log.hpp"

#include <unistd.h>

int main(int argc, char** argv)
{
    return mta::run_main("softlimit", [&]() -> int {
        auto parsed = sv::parse_limits(argc, argv);
        if (!parsed)
            mta::log::fatal(mta::kExitPerm,
                std::string("usage: softlimit [-madslfcoprt n] child: ") + parsed.error().what);
        if (auto st = sv::apply_limits(parsed->limits); !st)
            mta::log::fatal(mta::kExitTemp, "unable to set a limit", st.error());
        ::execvp(argv[parsed->child], argv + parsed->child);
        mta::log::fatal(mta::kExitTemp, std::string("unable to run ") + argv[parsed->child],
            mta::Error::from_errno("exec"));
    });
}
