#include "log_script.hpp"

#include <catch2/catch.hpp>

using namespace sv;

TEST_CASE("pattern_match follows multilog's stars", "[supervise][log_script]")
{
    struct Case {
        const char* pattern;
        const char* line;
        bool want;
    };
    Case const cases[] = {
        { "hello", "hello", true },
        { "hello", "hello world", false },
        { "*", "", true },
        { "*", "anything at all", true },
        { "named[*]: Cleaned cache *", "named[135]: Cleaned cache of 3121 RRs.", true },
        { "named[*]: Cleaned cache *", "named[1]35]: Cleaned cache x", false },
        { "* fatal: *", "@400000003b4a39c23294b13c fatal: out of memory", true },
        { "* fatal: *", "fatal: out of memory", false },
        { "STAT*", "STATUS ok", true },
        { "STAT*", "XSTAT", false },
        { "a*c", "abbbc", true },
        { "a*c", "abcbc", false }, // the star stops at the first c
        { "", "", true },
        { "", "x", false },
    };
    for (auto const& c : cases) {
        INFO("pattern " << c.pattern << " line " << c.line);
        CHECK(pattern_match(c.pattern, c.line) == c.want);
    }
}

TEST_CASE("parse_script: settings apply to the directories after them", "[supervise][log_script]")
{
    auto s = parse_script({ "t", "s100", "n1", "./a", "s2000000", "n5", "!gzip", "-*debug*", "e",
        "=status", "/var/log/b" });
    REQUIRE(s.ok());
    CHECK(s->timestamp);
    REQUIRE(s->directories.size() == 2);
    CHECK(s->directories[0].path == "./a");
    CHECK(s->directories[0].size == kMinSize); // 100 is raised to 4096
    CHECK(s->directories[0].num == kMinNum); // 1 is raised to 2
    CHECK(s->directories[0].processor.empty());
    CHECK(s->directories[1].size == 2000000);
    CHECK(s->directories[1].num == 5);
    CHECK(s->directories[1].processor == "gzip");
    REQUIRE(s->actions.size() == 5);
    CHECK(s->actions[0].kind == ActionKind::directory);
    CHECK(s->actions[1].kind == ActionKind::deselect);
    CHECK(s->actions[1].text == "*debug*");
    CHECK(s->actions[2].kind == ActionKind::alert);
    CHECK(s->actions[3].kind == ActionKind::status);
    CHECK(s->status_files == std::vector<std::string> { "status" });
    CHECK(s->actions[4].index == 1);

    auto big = parse_script({ "s99999999", "./x" });
    REQUIRE(big.ok());
    CHECK(big->directories[0].size == kMaxSize);
    auto defaults = parse_script({ "./x" });
    REQUIRE(defaults.ok());
    CHECK(!defaults->timestamp);
    CHECK(defaults->directories[0].size == kDefaultSize);
    CHECK(defaults->directories[0].num == kDefaultNum);
}

TEST_CASE("parse_script refuses what multilog would misread", "[supervise][log_script]")
{
    for (auto const& bad : std::vector<std::vector<std::string>> {
             { "./a", "t" }, // t only first
             { "tx" },
             { "sfoo", "./a" },
             { "n", "./a" },
             { "=" },
             { "x" },
             { "" },
             { "ee" },
         }) {
        INFO(bad.front());
        CHECK(!parse_script(bad).ok());
    }
}
