#include "services.hpp"

#include <catch2/catch.hpp>

using admin::parse_listen;

TEST_CASE("listen specifications parse and print back", "[control][services]")
{
    struct Case {
        const char* text;
        const char* service;
        const char* address;
        int port;
    };
    Case const cases[] = {
        { "smtp=127.0.0.1:2525", "smtp", "127.0.0.1", 2525 },
        { "imaps=[::1]:993", "imaps", "::1", 993 },
        { "submission=*:587", "submission", "*", 587 },
        { "pop3s=[2001:db8::1]:995", "pop3s", "2001:db8::1", 995 },
    };
    for (auto const& c : cases) {
        INFO(c.text);
        auto l = parse_listen(c.text);
        REQUIRE(l.ok());
        CHECK(l->service == c.service);
        CHECK(l->address == c.address);
        CHECK(l->port == c.port);
        CHECK(l->to_string() == c.text);
    }
}

TEST_CASE("bad listen specifications say what is wrong", "[control][services]")
{
    struct Case {
        const char* text;
        const char* want;
    };
    Case const cases[] = {
        { "smtp", "want SERVICE=ADDR:PORT" },
        { "smtp=127.0.0.1", "want SERVICE=ADDR:PORT" },
        { "ftp=*:21", "unknown service" },
        { "smtp=*:0", "bad port" },
        { "smtp=*:65536", "bad port" },
        { "smtp=*:25x", "bad port" },
        { "smtp=1.2.3:25", "bad address" },
        { "smtp=::1:25", "bad address" },
        { "smtp=[::g]:25", "bad IPv6 address" },
        { "=*:25", "unknown service" },
    };
    for (auto const& c : cases) {
        INFO(c.text);
        auto l = parse_listen(c.text);
        REQUIRE_FALSE(l.ok());
        CHECK(std::string(l.error().what).find(c.want) == 0);
    }
}

TEST_CASE("default services cover every standard port", "[control][services]")
{
    auto all = admin::default_services();
    REQUIRE(all.size() == 7);
    CHECK(all[0].to_string() == "smtp=*:25");
    CHECK(all[6].to_string() == "imaps=*:993");
    CHECK(admin::standard_port("pop3") == 110);
    CHECK(admin::standard_port("gopher") == 0);
}
