#include "number.hpp"

#include <catch2/catch.hpp>

using mta::parse_decimal;

TEST_CASE("parse_decimal takes a whole string of digits in range", "[lib][number]")
{
    CHECK(parse_decimal<unsigned>("0") == 0U);
    CHECK(parse_decimal<unsigned>("2525") == 2525U);
    CHECK(parse_decimal<unsigned long long>("18446744073709551615") == 18446744073709551615ULL);
    CHECK(parse_decimal<int>("-7") == -7);
    CHECK_FALSE(parse_decimal<unsigned>(""));
    CHECK_FALSE(parse_decimal<unsigned>("-1"));
    CHECK_FALSE(parse_decimal<unsigned>("+1"));
    CHECK_FALSE(parse_decimal<unsigned>(" 1"));
    CHECK_FALSE(parse_decimal<unsigned>("1 "));
    CHECK_FALSE(parse_decimal<unsigned>("0x1"));
    CHECK_FALSE(parse_decimal<unsigned>("4294967296"));
    CHECK_FALSE(parse_decimal<unsigned long long>("18446744073709551616"));
}
