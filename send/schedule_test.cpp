#include "schedule.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <random>

using send::Channel;

TEST_CASE("schedule: qmail-send's retry times", "[send][schedule]")
{
    time_t const birth = 1000000;
    struct Case {
        time_t age;
        Channel channel;
        time_t next_age;
    };
    Case const cases[] = {
        { 0, Channel::local, 100 }, // (0 + 10)^2
        { 100, Channel::local, 400 }, // (10 + 10)^2
        { 399, Channel::local, 841 }, // (19 + 10)^2
        { 400, Channel::local, 900 },
        { 1600, Channel::local, 2500 },
        { 0, Channel::remote, 400 }, // (0 + 20)^2
        { 400, Channel::remote, 1600 },
        { 1600, Channel::remote, 3600 },
        { 3600, Channel::remote, 6400 },
        { 604800, Channel::remote, time_t { 777 + 20 } * (777 + 20) },
    };
    for (auto const& c : cases) {
        INFO("age " << c.age << (c.channel == Channel::local ? " local" : " remote"));
        CHECK(send::next_retry(birth, birth + c.age, c.channel) == birth + c.next_age);
    }
    // A birth in the future (clock set back) counts as age 0.
    CHECK(send::next_retry(birth, birth - 50, Channel::local) == birth + 100);

    CHECK(!send::is_dying(birth, birth + 604800, 604800));
    CHECK(send::is_dying(birth, birth + 604801, 604800));
    CHECK(send::is_dying(birth, birth + 1, 0));
}

TEST_CASE("schedule: the queue gives the earliest entry first", "[send][schedule]")
{
    send::RetryQueue q;
    CHECK(q.empty());
    q.push(50, 7);
    q.push(10, 9);
    q.push(30, 1);
    q.push(10, 3); // same time: smaller id first
    REQUIRE(q.size() == 4);
    CHECK(q.top().when == 10);
    CHECK(q.top().id == 3);
    std::vector<unsigned long> order;
    while (!q.empty())
        order.push_back(q.pop().id);
    CHECK(order == std::vector<unsigned long> { 3, 9, 1, 7 });

    q.push(500, 1);
    q.push(400, 2);
    q.push(300, 3);
    q.reschedule_all(42); // SIGALRM
    CHECK(q.size() == 3);
    for (auto const& e : q.entries())
        CHECK(e.when == 42);
    CHECK(q.pop().id == 1);
}

TEST_CASE("schedule: 100,000 queued messages cost O(log n) each", "[send][schedule]")
{
    send::RetryQueue q;
    std::mt19937 random(12345);
    auto const start = std::chrono::steady_clock::now();
    for (unsigned long id = 1; id <= 100000; ++id)
        q.push(static_cast<time_t>(random() % 1000000), id);
    time_t last = -1;
    bool ordered = true;
    // Many deliveries: each takes the earliest and puts it back later.
    for (int i = 0; i < 200000; ++i) {
        auto e = q.pop();
        ordered = ordered && e.when >= last;
        last = e.when;
        q.push(e.when + 1000000, e.id);
    }
    auto const ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start)
                        .count();
    CHECK(ordered);
    CHECK(q.size() == 100000);
    CHECK(ms < 2000); // a few tens of ms in practice; the bound only catches O(n) per pop
}
