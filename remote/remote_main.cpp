// remote - delivers one message to another host (qmail-remote): `remote host sender
// recipient...` with the message on fd 0; writes qmail-remote's report records to fd 1
// and exits 0. Run by rspawn as msr. See docs/man/remote.8.md and docs/remote.md.
// Exit codes: 0 (every outcome is a record), 100 usage, 111 out of memory.
#include "config.hpp"
#include "deliver.hpp"
#include "exit_codes.hpp"
#include "fd.hpp"
#include "log.hpp"
#include "process.hpp"

int main(int argc, char** argv)
{
    return mta::run_main("remote", [&] {
        remote::Config const config = remote::load_config(argc, argv);
        mta::ignore_sigpipe();
        std::string const records = remote::deliver(config, 0);
        (void)mta::write_all(1, records);
        return mta::kExitOk;
    });
}
