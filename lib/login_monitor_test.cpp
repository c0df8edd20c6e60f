#include "login_monitor.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <sys/wait.h>
#include <unistd.h>

TEST_CASE("loopback addresses", "[lib][login_monitor]")
{
    for (char const* ip : { "127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1" })
        CHECK(mta::login::is_loopback(ip));
    for (char const* ip : { "", "10.0.0.1", "::2", "1127.0.0.1", "::ffff:10.0.0.1", "unknown" })
        CHECK_FALSE(mta::login::is_loopback(ip));
}

TEST_CASE("the report after a good login is USER NUL HOME NUL", "[lib][login_monitor]")
{
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid != -1);
    if (pid == 0) {
        ::dup2(fds[1], 1);
        ::setenv("USER", "joe", 1);
        ::setenv("HOME", "/home/joe", 1);
        _exit(mta::login::run_report());
    }
    ::close(fds[1]);
    char buf[64];
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    ::close(fds[0]);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    REQUIRE(n > 0);
    CHECK(std::string(buf, static_cast<size_t>(n)) == std::string("joe\0/home/joe\0", 14));
}
