#include "tcp_rule_keys.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace mta;

TEST_CASE("tcp_rule_keys: address_keys gives keys or a problem", "[lib][tcp_rule_keys]")
{
    auto range = tcp_rules::address_keys("10.1-2.");
    REQUIRE(range.ok());
    CHECK(range.keys == std::vector<std::string> { "10.1.", "10.2." });

    auto bad = tcp_rules::address_keys("10.0.0.1/8");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.keys.empty());
    CHECK(std::string(bad.problem) == "host bits set after the CIDR length");
}

TEST_CASE("tcp_rule_keys: network keys are appended, longest prefix first", "[lib][tcp_rule_keys]")
{
    std::vector<std::string> keys { "first" };
    tcp_rules::append_network_keys("192.168.1.200", keys);
    REQUIRE(keys.size() == 1 + 32);
    CHECK(keys[0] == "first");
    CHECK(keys[1] == "192.168.1.200/31");
    CHECK(keys[8] == "192.168.1.");
    CHECK(keys[32] == "0.0.0.0/0");

    std::vector<std::string> v6;
    tcp_rules::append_network_keys("2001:db8::1", v6);
    REQUIRE(v6.size() == 128);
    CHECK(v6[0] == "2001:db8::/127");
    CHECK(v6[127] == "::/0");

    std::vector<std::string> none;
    tcp_rules::append_network_keys("not-an-address", none);
    CHECK(none.empty());
}
