#include "launch.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using mta::test::TempDir;

TEST_CASE("start's arguments: default delivery, then the logger", "[start]")
{
    char const* none[] = { "start" };
    auto a = start::parse_args(1, none);
    CHECK(a.default_delivery == "./Maildir/");
    CHECK(a.logger.empty());

    char const* one[] = { "start", "|preline procmail\n./Mailbox" };
    a = start::parse_args(2, one);
    CHECK(a.default_delivery == "|preline procmail\n./Mailbox");
    CHECK(a.logger.empty());

    char const* logged[] = { "start", "./Maildir/", "multilog", "t", "./main" };
    a = start::parse_args(5, logged);
    CHECK(a.default_delivery == "./Maildir/");
    CHECK(a.logger == std::vector<std::string> { "multilog", "t", "./main" });
}

TEST_CASE("find_program looks in ROOT/bin, then PATH", "[start]")
{
    TempDir dir;
    REQUIRE(::mkdir(dir.file("bin").c_str(), 0755) == 0);
    REQUIRE(::mkdir(dir.file("p1").c_str(), 0755) == 0);
    REQUIRE(::mkdir(dir.file("p2").c_str(), 0755) == 0);
    dir.write("bin/ours", "#!/bin/sh\n", 0755);
    dir.write("p1/ours", "#!/bin/sh\n", 0755);
    dir.write("p1/plain", "not executable\n", 0644);
    dir.write("p2/plain", "#!/bin/sh\n", 0755);
    REQUIRE(::mkdir(dir.file("p1/adir").c_str(), 0755) == 0);
    dir.write("p2/adir", "#!/bin/sh\n", 0755);
    std::string const path = dir.file("p1") + "::" + dir.file("p2");
    CHECK(start::find_program("ours", dir.path(), path) == dir.file("bin/ours"));
    CHECK(start::find_program("plain", dir.path(), path) == dir.file("p2/plain"));
    CHECK(start::find_program("adir", dir.path(), path) == dir.file("p2/adir"));
    CHECK(start::find_program("missing", dir.path(), path) == std::nullopt);
    CHECK(start::find_program("./rel/x", dir.path(), path) == "./rel/x");
    CHECK(start::find_program("/abs/x", dir.path(), "") == "/abs/x");
}

TEST_CASE("install_fds assigns descriptors in parallel", "[start]")
{
    TempDir dir;
    // In a child: fds 0..3 become (file b, file a, fd 0 as it was, file a); then check by
    // reading what each descriptor names.
    int a = ::open(dir.write("a", "A").c_str(), O_RDONLY | O_CLOEXEC);
    int b = ::open(dir.write("b", "B").c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(a >= 0);
    REQUIRE(b >= 0);
    std::string const zero = dir.write("zero", "0");
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int const old0 = ::open(zero.c_str(), O_RDONLY);
        if (::dup2(old0, 0) == -1)
            ::_exit(10);
        ::close(old0);
        if (!start::install_fds({ b, a, 0, a }))
            ::_exit(11);
        char const want[] = { 'B', 'A', '0' };
        for (int fd = 0; fd < 3; ++fd) {
            char c = 0;
            if (::pread(fd, &c, 1, 0) != 1 || c != want[fd])
                ::_exit(20 + fd);
            if (::fcntl(fd, F_GETFD) != 0) // not close-on-exec
                ::_exit(30 + fd);
        }
        char c = 0;
        if (::pread(3, &c, 1, 0) != 1 || c != 'A')
            ::_exit(23);
        ::_exit(0);
    }
    int wstat = 0;
    REQUIRE(::waitpid(pid, &wstat, 0) == pid);
    ::close(a);
    ::close(b);
    REQUIRE(WIFEXITED(wstat));
    CHECK(WEXITSTATUS(wstat) == 0);
}
