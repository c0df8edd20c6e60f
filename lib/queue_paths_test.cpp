#include "auto_conf.hpp"
#include "queue_paths.hpp"

#include <catch2/catch.hpp>

using namespace mta;

TEST_CASE("hashed paths put message N in N % split", "[lib][queue_paths]")
{
    REQUIRE(mta::conf::kSplit == 23);
    CHECK(hashed_path(kMessDir, 12345) == "mess/17/12345");
    CHECK(hashed_dir(kMessDir, 12345) == "mess/17");
    CHECK(hashed_path(kTodoDir, 0) == "todo/0/0");
    CHECK(hashed_path(kIntdDir, 23) == "intd/0/23");
    CHECK(hashed_path(kInfoDir, 22) == "info/22/22");
    CHECK(hashed_path("remote", 4294967296UL)
        == "remote/" + std::to_string(4294967296UL % 23) + "/4294967296");
    CHECK(flat_path(kBounceDir, 77) == "bounce/77");
}

TEST_CASE("message numbers are digits only", "[lib][queue_paths]")
{
    CHECK(parse_message_number("0") == 0UL);
    CHECK(parse_message_number("12345") == 12345UL);
    CHECK(parse_message_number("007") == 7UL);
    CHECK_FALSE(parse_message_number(""));
    CHECK_FALSE(parse_message_number("-1"));
    CHECK_FALSE(parse_message_number("+1"));
    CHECK_FALSE(parse_message_number(" 1"));
    CHECK_FALSE(parse_message_number("1 "));
    CHECK_FALSE(parse_message_number("12a"));
    CHECK_FALSE(parse_message_number("99999999999999999999999"));
}
