// svscan - starts and monitors a collection of services (daemontools' svscan, plus a
// clean stop on SIGTERM): `svscan [DIR]`. See docs/man/svscan.8.md. Exit codes: 0 after
// SIGTERM once every service and logger has stopped, 100 usage, 111 DIR cannot be used
// (or another svscan runs there).
#include "exit_codes.hpp"
#include "install_root.hpp"
#include "log.hpp"
#include "scanner.hpp"

int main(int argc, char** argv)
{
    return mta::run_main("svscan", [&] {
        if (argc > 2)
            mta::log::fatal(mta::kExitPerm, "usage: svscan [dir]");
        auto root = mta::install_root();
        if (!root)
            mta::log::fatal(mta::kExitTemp, "unable to find the install root", root.error());
        sv::Scanner scanner(*root + "/bin/supervise");
        scanner.setup_or_die(argc == 2 ? argv[1] : ".");
        return scanner.run();
    });
}
