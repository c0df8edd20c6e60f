// queue - puts one message into the queue, durably (qmail-queue compatible).
//
// Installed setuid msq. The message comes on fd 0, the envelope on fd 1; the exit code is
// the only answer (0 queued, 11..40 permanent, others temporary; docs/man/queue.8.md).
// It prints nothing: callers turn the code into a reply (lib/queue_client.hpp).
#include "enqueue.hpp"
#include "exit_codes.hpp"
#include "log.hpp"

#include <unistd.h>

// Sanitizer builds only: LeakSanitizer cannot inspect a setuid process (it needs ptrace,
// and the process cannot even read /proc/self/environ for ASAN_OPTIONS), so its leak
// check would fail every run. It stays on when the program runs with one uid.
extern "C" int __lsan_is_turned_off() // NOLINT(bugprone-reserved-identifier): fixed hook
{
    return ::getuid() != ::geteuid();
}

int main()
{
    return mta::run_main("queue", [] {
        return queue::guarded([] {
            queue::start_deadline(); // 24 h, then exit 52
            queue::Caller const caller = queue::identify_caller(); // real uid, Received line
            queue::enter_queue_dir(); // ROOT/queue, umask 033
            queue::enqueue(caller, 0, 1); // returns only once todo/K/N is durable
            queue::pull_trigger();
            return mta::kExitOk;
        });
    });
}
