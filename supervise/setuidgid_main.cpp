// setuidgid - runs a program under an account's uid and gid (daemontools' setuidgid):
// `setuidgid account child [args...]`. See docs/man/setuidgid.8.md. Exit codes: 100
// usage, 111 no such account, the identity cannot be taken or child cannot be run;
// otherwise child's.
#include "exit_codes.hpp"
#include "log.hpp"
#include "privs.hpp"

#include <unistd.h>

int main(int argc, char** argv)
{
    return mta::run_main("setuidgid", [&]() -> int {
        if (argc < 3)
            mta::log::fatal(mta::kExitPerm, "usage: setuidgid account child");
        auto account = mta::lookup_account(argv[1]);
        if (!account)
            mta::log::fatal(
                mta::kExitTemp, std::string("unable to find account ") + argv[1], account.error());
        if (auto st = mta::drop_privileges(account->uid, account->gid); !st)
            mta::log::fatal(mta::kExitTemp, std::string("unable to become ") + argv[1], st.error());
        ::execvp(argv[2], argv + 2);
        mta::log::fatal(mta::kExitTemp, std::string("unable to run ") + argv[2],
            mta::Error::from_errno("exec"));
    });
}
