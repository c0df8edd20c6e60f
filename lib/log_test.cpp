#include "log.hpp"

#include "exit_codes.hpp"
#include "fd.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <new>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

using namespace mta;

namespace {

struct Outcome {
    int status;
    std::string stderr_text;
};

// Runs body in a child whose fd 2 is a pipe; returns its wait status and what it printed.
template <class Body> Outcome in_child(Body body)
{
    auto pipe = make_pipe();
    REQUIRE(pipe.ok());
    pid_t pid = ::fork();
    REQUIRE(pid != -1);
    if (pid == 0) {
        // Catch2's own SIGABRT handler would write a report from the child.
        ::signal(SIGABRT, SIG_DFL);
        ::dup2(pipe->write_end.get(), 2);
        _exit(body());
    }
    pipe->write_end = Fd();
    std::string text;
    char buf[512];
    ssize_t n;
    while ((n = ::read(pipe->read_end.get(), buf, sizeof buf)) > 0)
        text.append(buf, static_cast<size_t>(n));
    int status = 0;
    ::waitpid(pid, &status, 0);
    return { status, text };
}

} // namespace

TEST_CASE("fatal prints one line and exits with the code given", "[lib][log]")
{
    auto out = in_child([] {
        log::set_program("prog");
        log::fatal(kExitTemp, "unable to open control/me", Error { ENOENT, "open" });
        return 0;
    });
    REQUIRE(WIFEXITED(out.status));
    CHECK(WEXITSTATUS(out.status) == kExitTemp);
    CHECK(out.stderr_text
        == "prog: fatal: unable to open control/me: open: No such file or directory\n");
}

TEST_CASE("warn prints and returns", "[lib][log]")
{
    auto out = in_child([] {
        log::set_program("prog");
        log::warn("disk almost full");
        return 7;
    });
    REQUIRE(WIFEXITED(out.status));
    CHECK(WEXITSTATUS(out.status) == 7);
    CHECK(out.stderr_text == "prog: warning: disk almost full\n");
}

TEST_CASE("run_main maps out-of-memory to 111 and other exceptions to a bug", "[lib][log]")
{
    auto oom = in_child([] { return run_main("prog", []() -> int { throw std::bad_alloc(); }); });
    REQUIRE(WIFEXITED(oom.status));
    CHECK(WEXITSTATUS(oom.status) == kExitTemp);
    CHECK(oom.stderr_text == "prog: fatal: out of memory (#4.3.0)\n");

    auto bug = in_child(
        [] { return run_main("prog", []() -> int { throw std::runtime_error("boom"); }); });
    REQUIRE(WIFSIGNALED(bug.status));
    CHECK(WTERMSIG(bug.status) == SIGABRT);
    CHECK(bug.stderr_text == "prog: bug: unexpected exception: boom\n");

    auto ok = in_child([] { return run_main("prog", [] { return 0; }); });
    REQUIRE(WIFEXITED(ok.status));
    CHECK(WEXITSTATUS(ok.status) == 0);
}
