#include "command.hpp"

#include <catch2/catch.hpp>

using namespace pop3d;

TEST_CASE("pop3d: commands and arguments", "[pop3d]")
{
    CHECK(parse_command("retr 1\r").verb == Verb::retr);
    CHECK(parse_command("retr 1\r").arg == "1");
    CHECK(parse_command("Top 1 2").arg == "1 2");
    CHECK(parse_command("STAT").has_arg == false);
    CHECK(parse_command("STAT ").has_arg == true);
    CHECK(parse_command("").verb == Verb::empty);
    CHECK(parse_command("\r").verb == Verb::empty);
    CHECK(parse_command("RETRX 1").verb == Verb::unknown);
    CHECK(parse_command(" RETR 1").verb == Verb::unknown);
    CHECK(parse_command("PASS two words ").arg == "two words ");
}

TEST_CASE("pop3d: numbers", "[pop3d]")
{
    CHECK(parse_number("1") == 1ul);
    CHECK(parse_number("000123") == 123ul);
    CHECK(parse_number("999999999") == 999999999ul);
    CHECK_FALSE(parse_number("1000000000"));
    CHECK_FALSE(parse_number(""));
    CHECK_FALSE(parse_number("-1"));
    CHECK_FALSE(parse_number("+1"));
    CHECK_FALSE(parse_number("1 "));
    CHECK_FALSE(parse_number("0x1"));
    CHECK(split_args("1  2").size() == 3);
}
