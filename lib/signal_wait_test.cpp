#include "signal_wait.hpp"

#include <catch2/catch.hpp>

#include <ctime>
#include <poll.h>
#include <unistd.h>

using namespace mta;

TEST_CASE("a caught signal waits for ppoll and is recorded", "[lib][signal_wait]")
{
    sigset_t before;
    ::sigprocmask(SIG_SETMASK, nullptr, &before);
    sigset_t const wait_mask = catch_signals({ SIGUSR1 });
    clear_signal(SIGUSR1);
    CHECK_FALSE(sigismember(&wait_mask, SIGUSR1));

    ::raise(SIGUSR1);
    CHECK_FALSE(signal_seen(SIGUSR1)); // blocked until the wait
    struct timespec no_time { };
    ::ppoll(nullptr, 0, &no_time, &wait_mask);
    CHECK(signal_seen(SIGUSR1));
    CHECK(signal_seen(SIGUSR1));
    CHECK(take_signal(SIGUSR1));
    CHECK_FALSE(take_signal(SIGUSR1));
    CHECK_FALSE(signal_seen(SIGUSR1));

    ::raise(SIGUSR1);
    ::ppoll(nullptr, 0, &no_time, &wait_mask);
    clear_signal(SIGUSR1);
    CHECK_FALSE(signal_seen(SIGUSR1));

    ::signal(SIGUSR1, SIG_DFL);
    ::sigprocmask(SIG_SETMASK, &before, nullptr);
}

TEST_CASE("next_exited_child reaps a child that has exited", "[lib][signal_wait]")
{
    pid_t const child = ::fork();
    REQUIRE(child != -1);
    if (child == 0)
        ::_exit(0);
    bool reaped = false;
    for (int tries = 0; tries < 500 && !reaped; ++tries) {
        pid_t const pid = next_exited_child();
        if (pid == child)
            reaped = true;
        else if (pid == 0)
            ::usleep(10000);
    }
    CHECK(reaped);
    CHECK(next_exited_child() == 0);
}
