#include "passwd.hpp"

#include <catch2/catch.hpp>

using namespace mta::passwd;

TEST_CASE("passwd: hash and verify", "[passwd]")
{
    auto hash = hash_password("s3cret pass");
    REQUIRE(hash);
    CHECK(hash->rfind("$y$", 0) == 0);
    CHECK(verify("s3cret pass", *hash));
    CHECK_FALSE(verify("s3cret pasS", *hash));
    CHECK_FALSE(verify("", *hash));
    auto again = hash_password("s3cret pass");
    REQUIRE(again);
    CHECK(*again != *hash); // a new salt each time
}

TEST_CASE("passwd: locked and malformed hashes never verify", "[passwd]")
{
    CHECK_FALSE(verify("x", ""));
    CHECK_FALSE(verify("x", "!"));
    CHECK_FALSE(verify("", "*"));
    CHECK_FALSE(verify("x", "$y$garbage"));
    CHECK_FALSE(hash_password(std::string("a\0b", 3)));
}

TEST_CASE("passwd: parse, find, format", "[passwd]")
{
    size_t bad = 0;
    auto e = parse("U@Example.test:$y$abc:reserved\n\nv@example.test:!\n", &bad);
    REQUIRE(e);
    REQUIRE(e->size() == 2);
    CHECK((*e)[0].address == "u@example.test");
    CHECK((*e)[0].hash == "$y$abc");
    CHECK((*e)[0].rest == "reserved");
    CHECK(find(*e, "U@EXAMPLE.test") == &(*e)[0]);
    CHECK(find(*e, "w@example.test") == nullptr);
    CHECK(format(*e) == "u@example.test:$y$abc:reserved\nv@example.test:!\n");
    CHECK_FALSE(parse("ok@x:h\nnocolon@x\n", &bad));
    CHECK(bad == 2);
    CHECK_FALSE(parse("@x:h\n"));
    CHECK_FALSE(parse("a@b@c:h\n"));
    CHECK_FALSE(parse("a@:h\n"));
}

TEST_CASE("passwd: constant-time equality", "[passwd]")
{
    CHECK(equal_constant_time("abc", "abc"));
    CHECK_FALSE(equal_constant_time("abd", "abc"));
    CHECK_FALSE(equal_constant_time("ab", "abc"));
    CHECK_FALSE(equal_constant_time("abcd", "abc"));
    CHECK(equal_constant_time("", ""));
}
