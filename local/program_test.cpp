#include "program.hpp"

#include "test_helpers.hpp"

#include <catch2/catch.hpp>

using namespace local;
using mta::test::TempDir;

TEST_CASE("program exit codes map as in qmail-local", "[local][program]")
{
    struct {
        int code;
        ProgramVerdict want;
    } const cases[] = {
        { 0, ProgramVerdict::delivered },
        { 99, ProgramVerdict::stop },
        { 100, ProgramVerdict::permanent },
        { 64, ProgramVerdict::permanent },
        { 65, ProgramVerdict::permanent },
        { 70, ProgramVerdict::permanent },
        { 76, ProgramVerdict::permanent },
        { 77, ProgramVerdict::permanent },
        { 78, ProgramVerdict::permanent },
        { 112, ProgramVerdict::permanent },
        { 111, ProgramVerdict::temporary },
        { 1, ProgramVerdict::temporary },
        { 66, ProgramVerdict::temporary },
        { 75, ProgramVerdict::temporary },
        { 101, ProgramVerdict::temporary },
        { 120, ProgramVerdict::temporary },
        { 255, ProgramVerdict::temporary },
    };
    for (auto const& c : cases) {
        INFO("exit " << c.code);
        CHECK(classify_exit(c.code) == c.want);
    }
}

TEST_CASE("programs read the message from its start and see the environment", "[local][program]")
{
    TempDir dir;
    test::InDirectory in(dir.path());
    auto msg = test::message_fd(dir, "Subject: x\n\nbody\n");
    REQUIRE(::lseek(msg.get(), 5, SEEK_SET) == 5); // run_program rewinds
    std::vector<std::string> const env = { "PATH=/usr/bin:/bin", "SENDER=a@b" };
    auto got = run_program("cat > out; echo \"$SENDER\" > env", env, msg.get());
    REQUIRE(got.ok());
    CHECK(*got == ProgramVerdict::delivered);
    CHECK(test::read_all(dir.file("out")) == "Subject: x\n\nbody\n");
    CHECK(test::read_all(dir.file("env")) == "a@b\n");
}

TEST_CASE("program verdicts and crashes", "[local][program]")
{
    TempDir dir;
    auto msg = test::message_fd(dir, "x\n");
    std::vector<std::string> const env = { "PATH=/usr/bin:/bin" };
    struct {
        std::string command;
        ProgramVerdict want;
    } const cases[] = {
        { "exit 99", ProgramVerdict::stop }, { "exit 100", ProgramVerdict::permanent },
        { "exit 111", ProgramVerdict::temporary }, { "exit 77", ProgramVerdict::permanent },
        { "/nonexistent/program 2>/dev/null", ProgramVerdict::temporary }, // sh: 127
        { "head -c1 >/dev/null", ProgramVerdict::delivered }, // stops reading early
    };
    for (auto const& c : cases) {
        INFO("command " << c.command);
        auto got = run_program(c.command, env, msg.get());
        REQUIRE(got.ok());
        CHECK(*got == c.want);
    }
    auto crashed = run_program("kill -SEGV $$", env, msg.get());
    REQUIRE_FALSE(crashed.ok());
    CHECK(crashed.failure().text == "Aack, child crashed. (#4.3.0)");
    CHECK(crashed.failure().exit_code == 111);
}
