#include "tai64n.hpp"

#include <catch2/catch.hpp>

using namespace mta;

TEST_CASE("tai64n_format writes daemontools labels", "[lib][tai64n]")
{
    struct Case {
        time_t seconds;
        long nanoseconds;
        std::string_view want;
    };
    Case const cases[] = {
        { 0, 0, "@400000000000000a00000000" }, // the unix epoch: 2^62 + 10
        { 1709802301, 123456789, "@4000000065e98347075bcd15" },
        { -1, 999999999, "@40000000000000093b9ac9ff" },
        { 4102444800, 1, "@40000000f486570a00000001" }, // 2100-01-01
    };
    for (auto const& c : cases) {
        struct timespec ts { };
        ts.tv_sec = c.seconds;
        ts.tv_nsec = c.nanoseconds;
        INFO("seconds " << c.seconds << " nanoseconds " << c.nanoseconds);
        CHECK(tai64n_format(ts) == c.want);
        auto back = tai64n_parse(c.want);
        REQUIRE(back.ok());
        CHECK(back->tv_sec == c.seconds);
        CHECK(back->tv_nsec == c.nanoseconds);
    }
}

TEST_CASE("tai64n_now is a label for the current time", "[lib][tai64n]")
{
    time_t const before = ::time(nullptr);
    std::string const label = tai64n_now();
    time_t const after = ::time(nullptr);
    REQUIRE(label.size() == kTai64nLabelLength);
    CHECK(label.find_first_not_of("@0123456789abcdef") == std::string::npos);
    auto ts = tai64n_parse(label);
    REQUIRE(ts.ok());
    CHECK(ts->tv_sec >= before);
    CHECK(ts->tv_sec <= after);
}

TEST_CASE("tai64n_parse accepts one label only", "[lib][tai64n]")
{
    auto upper = tai64n_parse("@4000000065E98347075BCD15");
    REQUIRE(upper.ok());
    CHECK(upper->tv_sec == 1709802301);

    struct Case {
        std::string_view in;
        std::string_view want;
    };
    Case const cases[] = {
        { "", "invalid tai64n label" },
        { "@", "invalid tai64n label" },
        { "400000000000000a00000000", "invalid tai64n label" },
        { "#400000000000000a00000000", "invalid tai64n label" },
        { "@400000000000000a0000000", "invalid tai64n label" },
        { "@400000000000000a000000000", "invalid tai64n label" },
        { "@400000000000000a00000000 ", "invalid tai64n label" },
        { "@400000000000000g00000000", "invalid tai64n label" },
        { "@400000000000000a-0000000", "invalid tai64n label" },
        { "@400000000000000a3b9aca00", "tai64n label out of range" }, // 10^9 ns
        { "@800000000000000000000000", "tai64n label out of range" },
        { "@ffffffffffffffff00000000", "tai64n label out of range" },
    };
    for (auto const& c : cases) {
        auto got = tai64n_parse(c.in);
        INFO("input: \"" << c.in << "\"");
        REQUIRE_FALSE(got.ok());
        CHECK(std::string(got.error().what) == c.want);
    }
    auto earliest = tai64n_parse("@000000000000000000000000");
    REQUIRE(earliest.ok());
    CHECK(earliest->tv_sec == -(time_t { 1 } << 62) - 10);
}
