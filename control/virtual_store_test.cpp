#include "virtual_store.hpp"

#include <catch2/catch.hpp>

using namespace admin;

TEST_CASE("virtual store: names", "[accounts]")
{
    std::string name = "First.Last";
    CHECK(check_local_part(name));
    CHECK(name == "first.last");
    for (std::string bad : std::vector<std::string> { "", ".a", "-a", "a..b", "default",
             "x-default", "a b", "a/b", "a:b", "a@b", std::string(65, 'a') })
        CHECK_FALSE(check_local_part(bad));
    std::string ok = "default-x";
    CHECK(check_local_part(ok));
    std::string domain = "Example.TEST";
    CHECK(check_virtual_domain(domain));
    CHECK(domain == "example.test");
    for (std::string bad : std::vector<std::string> { "", "nodot", "[127.0.0.1]", "a..b", "-a.b" })
        CHECK_FALSE(check_virtual_domain(bad));
}

TEST_CASE("virtual store: catch-all words", "[accounts]")
{
    CHECK(parse_catchall({ "bounce" })->kind == Catchall::Kind::bounce);
    CHECK(parse_catchall({ "discard" })->kind == Catchall::Kind::discard);
    auto d = parse_catchall({ "deliver", "Joe" });
    REQUIRE(d);
    CHECK(d->account == "joe");
    CHECK(catchall_text(*d) == "deliver joe");
    CHECK_FALSE(parse_catchall({}));
    CHECK_FALSE(parse_catchall({ "deliver" }));
    CHECK_FALSE(parse_catchall({ "deliver", "../x" }));
    CHECK_FALSE(parse_catchall({ "bounce", "x" }));
    CHECK_FALSE(parse_catchall({ "forward" }));
}
