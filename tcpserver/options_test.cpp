#include "options.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace {

mta::Result<tcpserver::Options> parse(std::vector<std::string> args)
{
    args.insert(args.begin(), "tcpserver");
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    return tcpserver::parse_options(int(args.size()), argv.data());
}

} // namespace

TEST_CASE("tcpserver options: defaults are ucspi-tcp's", "[tcpserver]")
{
    auto o = parse({ "0", "smtp", "smtpd", "-x", "arg" });
    REQUIRE(o.ok());
    CHECK(o->limit == 40);
    CHECK(o->per_ip == 0);
    CHECK(o->backlog == 20);
    CHECK(o->verbosity == 1);
    CHECK(o->remote_host);
    CHECK(o->remote_info);
    CHECK(o->ident_timeout == 2);
    CHECK_FALSE(o->paranoid);
    CHECK_FALSE(o->nodelay);
    CHECK(o->kill_ip_options);
    CHECK_FALSE(o->rules);
    CHECK(o->host == "0");
    CHECK(o->port == "smtp");
    CHECK(o->program == std::vector<std::string> { "smtpd", "-x", "arg" });
}

TEST_CASE("tcpserver options: every option", "[tcpserver]")
{
    auto o = parse({ "-v", "-c", "7", "-C", "2", "-x", "r.cdb", "-X", "-B", "hi\r\n", "-u", "msd",
        "-g", "99", "-1", "-b", "5", "-D", "-o", "-H", "-p", "-l", "0", "-R", "-t", "3",
        "::", "2525", "prog" });
    REQUIRE(o.ok());
    CHECK(o->verbosity == 2);
    CHECK(o->limit == 7);
    CHECK(o->per_ip == 2);
    CHECK(*o->rules == "r.cdb");
    CHECK(o->allow_missing_rules);
    CHECK(o->banner == "hi\r\n");
    CHECK(*o->user == "msd");
    CHECK(*o->group == "99");
    CHECK(o->print_port);
    CHECK(o->backlog == 5);
    CHECK(o->nodelay);
    CHECK_FALSE(o->kill_ip_options);
    CHECK_FALSE(o->remote_host);
    CHECK(o->paranoid);
    CHECK(*o->local_host == "0");
    CHECK_FALSE(o->remote_info);
    CHECK(o->ident_timeout == 3);
    CHECK(o->host == "::");
}

TEST_CASE("tcpserver options: usage errors", "[tcpserver]")
{
    struct Case {
        std::vector<std::string> args;
        std::string problem;
    };
    std::vector<Case> const cases = {
        { { "-c", "0", "0", "25", "p" }, "-c wants a number from 1 to 100000" },
        { { "-c", "x", "0", "25", "p" }, "-c wants a number from 1 to 100000" },
        { { "-C", "-1", "0", "25", "p" }, "-C wants a number from 0 (no limit) to 100000" },
        { { "-b", "70000", "0", "25", "p" }, "-b wants a number from 0 to 65535" },
        { { "-Z", "0", "25", "p" }, "unknown option or missing option argument" },
        { { "-c" }, "unknown option or missing option argument" },
        { {}, "missing host" },
        { { "0" }, "missing port" },
        { { "0", "25" }, "missing program" },
        { { "-u", "", "0", "25", "p" }, "-u and -g want a number or a name" },
    };
    for (auto const& c : cases) {
        INFO(c.problem);
        auto o = parse(c.args);
        REQUIRE_FALSE(o.ok());
        CHECK(std::string(o.error().what) == c.problem);
    }
}
