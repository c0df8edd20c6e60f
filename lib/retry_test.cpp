#include "retry.hpp"

#include <catch2/catch.hpp>

TEST_CASE("isqrt is exact for every time_t", "[lib][retry]")
{
    CHECK(mta::isqrt(0) == 0);
    CHECK(mta::isqrt(1) == 1);
    CHECK(mta::isqrt(3) == 1);
    CHECK(mta::isqrt(4) == 2);
    CHECK(mta::isqrt(99) == 9);
    CHECK(mta::isqrt(100) == 10);
    CHECK(mta::isqrt(-5) == 0);
    for (time_t x : { time_t(999999999999), time_t(1) << 52, (time_t(1) << 31) * 3 + 7 }) {
        time_t y = mta::isqrt(x);
        CHECK(y * y <= x);
        CHECK((y + 1) * (y + 1) > x);
    }
}

TEST_CASE("next_retry follows qmail-send's schedule", "[lib][retry]")
{
    time_t const birth = 1000000;
    CHECK(mta::next_retry(birth, birth, mta::kChanskipLocal) == birth + 100);
    CHECK(mta::next_retry(birth, birth + 100, mta::kChanskipLocal) == birth + 400);
    CHECK(mta::next_retry(birth, birth + 400, mta::kChanskipLocal) == birth + 900);
    CHECK(mta::next_retry(birth, birth, mta::kChanskipRemote) == birth + 400);
    CHECK(mta::next_retry(birth, birth + 400, mta::kChanskipRemote) == birth + 1600);
    CHECK(mta::next_retry(birth, birth - 50, mta::kChanskipLocal) == birth + 100);
}

TEST_CASE("next_on_schedule is the next point of the grid", "[lib][retry]")
{
    time_t const birth = 1000000;
    CHECK(mta::next_on_schedule(birth, birth + 50, mta::kChanskipLocal) == birth + 100);
    CHECK(mta::next_on_schedule(birth, birth + 100, mta::kChanskipLocal) == birth + 400);
    CHECK(mta::next_on_schedule(birth, birth + 3000, mta::kChanskipLocal) == birth + 3600);
    CHECK(mta::next_on_schedule(birth, birth - 5, mta::kChanskipRemote) == birth + 400);
}
