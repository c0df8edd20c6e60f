#include "signal_wait.hpp"

#include <cerrno>
#include <sys/wait.h>

namespace mta {

namespace {

volatile sig_atomic_t g_caught[NSIG] = {};

extern "C" void on_caught_signal(int sig)
{
    g_caught[sig] = 1;
}

} // namespace

sigset_t catch_signals(std::initializer_list<int> signals)
{
    sigset_t caught;
    sigemptyset(&caught);
    for (int sig : signals) {
        sigaddset(&caught, sig);
        struct sigaction action { };
        action.sa_handler = on_caught_signal;
        sigemptyset(&action.sa_mask);
        ::sigaction(sig, &action, nullptr);
    }
    sigset_t wait_mask;
    ::sigprocmask(SIG_BLOCK, &caught, &wait_mask);
    for (int sig : signals)
        sigdelset(&wait_mask, sig);
    return wait_mask;
}

bool signal_seen(int sig)
{
    return g_caught[sig] != 0;
}

bool take_signal(int sig)
{
    if (!g_caught[sig])
        return false;
    g_caught[sig] = 0;
    return true;
}

void clear_signal(int sig)
{
    g_caught[sig] = 0;
}

pid_t next_exited_child()
{
    for (;;) {
        pid_t const pid = ::waitpid(-1, nullptr, WNOHANG);
        if (pid == -1 && errno == EINTR)
            continue;
        return pid > 0 ? pid : 0;
    }
}

} // namespace mta
