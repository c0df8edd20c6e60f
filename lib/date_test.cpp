#include "date.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <limits>
#include <random>

using namespace mta;

TEST_CASE("rfc822_date formats like qmail's date822fmt", "[lib][date]")
{
    struct Case {
        time_t when;
        std::string_view want;
    };
    Case const cases[] = {
        { 0, "1 Jan 1970 00:00:00 -0000" },
        { 1709802301, "7 Mar 2024 09:05:01 -0000" },
        { -1, "31 Dec 1969 23:59:59 -0000" },
        { 951782400, "29 Feb 2000 00:00:00 -0000" },
        { 4102444800, "1 Jan 2100 00:00:00 -0000" },
        { 253402300799, "31 Dec 9999 23:59:59 -0000" },
        { 1700000000, "14 Nov 2023 22:13:20 -0000" },
    };
    for (auto const& c : cases) {
        INFO("time " << c.when);
        CHECK(rfc822_date(c.when) == c.want);
    }
}

TEST_CASE("rfc822_date agrees with gmtime_r", "[lib][date]")
{
    static char const* const months[]
        = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<time_t> dist(-62135596800, 253402300799); // years 1..9999
    for (int i = 0; i < 20000; ++i) {
        time_t const when = dist(rng);
        struct tm tm { };
        REQUIRE(::gmtime_r(&when, &tm) != nullptr);
        char want[64];
        std::snprintf(want, sizeof want, "%d %s %d %02d:%02d:%02d -0000", tm.tm_mday,
            months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
        INFO("time " << when);
        REQUIRE(rfc822_date(when) == want);
    }
}

TEST_CASE("rfc822_date does not fail at the ends of time_t", "[lib][date]")
{
    CHECK_FALSE(rfc822_date(std::numeric_limits<time_t>::max()).empty());
    CHECK_FALSE(rfc822_date(std::numeric_limits<time_t>::min()).empty());
}
