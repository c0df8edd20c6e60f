#include "checkpassword.hpp"

#include <catch2/catch.hpp>

using namespace std::string_literals;

TEST_CASE("auth: the fd 3 record", "[auth]")
{
    auto r = auth::parse_request("U@Example.Test\0pass word\0<1.2@host>\0"s);
    REQUIRE(r);
    CHECK(r->login == "u@example.test");
    CHECK(r->password == "pass word");
    auto empty_password = auth::parse_request("u@x.test\0\0"s);
    REQUIRE(empty_password);
    CHECK(empty_password->password.empty());
    CHECK_FALSE(auth::parse_request(""s));
    CHECK_FALSE(auth::parse_request("\0pw\0"s));
    CHECK_FALSE(auth::parse_request("u@x.test\0pw"s));
    CHECK_FALSE(auth::parse_request("u@x.test"s));
    CHECK_FALSE(auth::parse_request("u@x.test\0"s + std::string(600, 'p') + "\0"s));
}

TEST_CASE("auth: home of a virtual user", "[auth]")
{
    CHECK(auth::home_of("u@example.test", "/var/ms") == "/var/ms/domains/example.test/u");
}
