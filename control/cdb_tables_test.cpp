#include "cdb_tables.hpp"

#include <catch2/catch.hpp>

using namespace admin;

TEST_CASE("cdb tables: morercpthosts as qmail-newmrh", "[cdb_tables]")
{
    auto parsed = parse_more_rcpthosts("# hosted\r\nMore.Example\r\n\n  .Sub.Example  \n"
                                       "more.example\nlast.example");
    CHECK(parsed.problem.empty());
    CHECK(
        parsed.keys == std::vector<std::string> { "more.example", ".sub.example", "last.example" });
    CHECK(parse_more_rcpthosts("").keys.empty());

    auto bad = parse_more_rcpthosts("a.example\n\n# x\nbad..example\nc.example\n");
    CHECK(bad.line == 4);
    CHECK(bad.problem.find("bad..example") != std::string::npos);
    CHECK(bad.keys.empty());
    auto spaced = parse_more_rcpthosts("a.example b.example\n");
    CHECK(spaced.line == 1);
    auto huge = parse_more_rcpthosts("a.example\n" + std::string(9000, 'a') + "\n");
    CHECK(huge.line == 2);
    CHECK(huge.problem == "line too long");
}
