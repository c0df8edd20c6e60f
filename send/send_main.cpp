// send - the scheduler (qmail-send compatible): preprocesses new messages from todo/,
// hands each recipient to lspawn or rspawn, retries, bounces, and logs what it does on
// descriptor 0. Started by `start` as mss with the pipes of qmail-send: 1/2 to and from
// lspawn, 3/4 rspawn, 5/6 clean. See docs/man/send.8.md and docs/INTERNALS.md.
#include "exit_codes.hpp"
#include "log.hpp"
#include "process.hpp"
#include "scheduler.hpp"
#include "startup.hpp"

#include <ctime>
#include <new>
#include <unistd.h>

namespace {

int run(int argc, send::ActivityLog& log)
{
    if (argc != 1)
        send::cannot_start(log, "usage: send (it takes no arguments)", mta::kExitPerm);
    std::string const root = send::enter_root(log); // ROOT, from bin/..
    send::Config config = send::load_config_or_die(root, log); // control/ once
    send::enter_queue(log); // ROOT/queue, umask 077
    mta::ignore_sigpipe();
    mta::Fd mutex = send::take_mutex(log); // one send per queue
    send::Spawners const spawners = send::read_spawners(config, log);
    send::Scheduler scheduler(
        root, std::move(config), log, send::kCleanRequestFd, send::kCleanReplyFd);
    scheduler.connect(
        send::Channel::local, send::kLocalCommandFd, send::kLocalResultFd, spawners.local);
    if (spawners.remote)
        scheduler.connect(
            send::Channel::remote, send::kRemoteCommandFd, send::kRemoteResultFd, *spawners.remote);
    scheduler.recover(::time(nullptr));
    int const code = scheduler.run(); // until SIGTERM
    send::release_mutex(mutex);
    return code;
}

} // namespace

int main(int argc, char** argv)
{
    (void)argv;
    return mta::run_main("send", [&] {
        send::ActivityLog log(0); // the log is fd 0; fd 2 is lspawn's results
        try {
            return run(argc, log);
        } catch (std::bad_alloc const&) {
            log.line("alert: out of memory");
            log.flush();
            ::_exit(mta::kExitTemp);
        }
    });
}
