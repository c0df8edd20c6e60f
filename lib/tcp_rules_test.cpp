#include "tcp_rules.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace mta;
using namespace std::string_literals;
using mta::test::TempDir;

namespace {

// "key=>data" for each entry, data with NULs shown as '|'.
std::vector<std::string> dump(tcp_rules::Parsed const& p)
{
    std::vector<std::string> out;
    for (auto const& e : p.entries) {
        std::string data = e.data;
        for (auto& c : data)
            if (c == '\0')
                c = '|';
        out.push_back(e.key + "=>" + data);
    }
    return out;
}

std::vector<std::string> keys_of(std::string_view text)
{
    auto p = tcp_rules::parse(text);
    INFO(text << ": " << (p.problem ? p.problem : ""));
    REQUIRE(p.ok());
    std::vector<std::string> keys;
    for (auto const& e : p.entries)
        keys.push_back(e.key);
    return keys;
}

} // namespace

TEST_CASE("tcp_rules: instructions and values", "[lib][tcp_rules]")
{
    auto p = tcp_rules::parse("127.:allow,RELAYCLIENT=\"\"\n"
                              "10.0.0.1:deny\n"
                              "# comment\n"
                              "\n"
                              "  1.2.3.4:allow,A=/x\"y/,B=plain value,C=,D=1001  \r\n"
                              ":allow,DATABYTES=\"1000\"\n");
    REQUIRE(p.ok());
    CHECK(dump(p)
        == std::vector<std::string> { "127.=>+RELAYCLIENT=|", "10.0.0.1=>D|",
            "1.2.3.4=>+A=x\"y|+B=plain value|+C=|+D=1001|", "=>+DATABYTES=1000|" });
    CHECK(p.entries[1].line == 2);
    CHECK(p.entries[2].line == 5);
}

TEST_CASE("tcp_rules: address forms become ucspi-tcp keys", "[lib][tcp_rules]")
{
    struct Case {
        std::string address;
        std::vector<std::string> keys;
    };
    std::vector<Case> const cases = {
        { "1.2.3.4", { "1.2.3.4" } },
        { "10.", { "10." } },
        { "192.168.", { "192.168." } },
        { "1.2.3.4-6", { "1.2.3.4", "1.2.3.5", "1.2.3.6" } },
        { "1.2.3-4.", { "1.2.3.", "1.2.4." } },
        { "10.0.0.0/8", { "10." } },
        { "10.1.0.0/16", { "10.1." } },
        { "10.64.0.0/10", { "10.64.0.0/10" } },
        { "1.2.3.4/32", { "1.2.3.4" } },
        { "0.0.0.0/0", { "0.0.0.0/0" } },
        { "2001:DB8:0::1", { "2001:db8::1" } },
        { "::ffff:1.2.3.4", { "1.2.3.4" } },
        { "2001:db8::/32", { "2001:db8::/32" } },
        { "::1/128", { "::1" } },
        { "::ffff:10.0.0.0/104", { "10." } },
        { "=Mail.Example.ORG", { "=mail.example.org" } },
        { "=.example.org", { "=.example.org" } },
        { "=", { "=" } },
        { "joe@1.2.3.4", { "joe@1.2.3.4" } },
        { "joe@=Host.example", { "joe@=host.example" } },
        { "", { "" } },
    };
    for (auto const& c : cases) {
        INFO(c.address);
        CHECK(keys_of(c.address + ":allow") == c.keys);
    }
    CHECK(keys_of("1.2.3.0-255:deny").size() == 256);
}

TEST_CASE("tcp_rules: IPv6 addresses split at the colon before allow or deny", "[lib][tcp_rules]")
{
    auto p = tcp_rules::parse("::1:deny\n2001:db8::/48:allow,X=\"a:allow\"\n");
    REQUIRE(p.ok());
    CHECK(dump(p) == std::vector<std::string> { "::1=>D|", "2001:db8::/48=>+X=a:allow|" });
}

TEST_CASE("tcp_rules: a bad line is named with its problem", "[lib][tcp_rules]")
{
    struct Case {
        std::string text;
        size_t line;
        std::string problem;
    };
    std::vector<Case> const cases = {
        { "1.2.3.4 allow\n", 1, "missing \":\" between the address and allow or deny" },
        { "# c\n1.2.3.4:permit\n", 2,
            "the instructions after \":\" must start with allow or deny" },
        { "1.2.3.4:allowed\n", 1, "the instructions after \":\" must start with allow or deny" },
        { "1.2.3.4:allow,X\n", 1, "missing \"=\" after a variable name" },
        { "1.2.3.4:allow,1X=a\n", 1,
            "a variable name is letters, digits and _, not starting with a digit or LD_" },
        { "1.2.3.4:allow,LD_PRELOAD=/x.so\n", 1,
            "a variable name is letters, digits and _, not starting with a digit or LD_" },
        { "1.2.3.4:allow,A-B=1\n", 1,
            "a variable name is letters, digits and _, not starting with a digit or LD_" },
        { "1.2.3.4:allow,X=\"open\n", 1, "missing closing quote" },
        { "1.2.3.4:allow,X=\"a\"b\n", 1,
            "text after a closing quote (want \",\" or the end of the line)" },
        { "1.2.3.4:allow,X=\"a\x01\"\n", 1, "control character in a value" },
        { "1.2.3.4:allow X=1\n", 1, "the instructions after \":\" must start with allow or deny" },
        { "1.2.3.256:allow\n", 1, "a number in the address has a leading zero or is over 255" },
        { "1.2.3.04:allow\n", 1, "a number in the address has a leading zero or is over 255" },
        { "1.2.3.9-7:allow\n", 1, "range start is above its end" },
        { "1-2.3-4.:allow\n", 1, "only one range a-b in an address" },
        { "1.2.3:allow\n", 1,
            "not an address: want 1.2.3.4, 1.2.3., 1.2.3.4-7, 10.0.0.0/8, an IPv6 address, =host "
            "or info@address" },
        { "mail.example.org:allow\n", 1,
            "not an address: want 1.2.3.4, 1.2.3., 1.2.3.4-7, 10.0.0.0/8, an IPv6 address, =host "
            "or info@address" },
        { "1.2.3.4.5/32:allow\n", 1,
            "not an address: want 1.2.3.4, 1.2.3., 1.2.3.4-7, 10.0.0.0/8, an IPv6 address, =host "
            "or info@address" },
        { "joe@1.2.3.4.:allow\n", 1, "after \"@\" want an exact address or =host.name" },
        { "10.0.0.0/33:allow\n", 1, "CIDR length is not a number from 0 to 32" },
        { "10.0.0.1/8:allow\n", 1, "host bits set after the CIDR length" },
        { "2001:db8::1/32:allow\n", 1, "host bits set after the CIDR length" },
        { "2001:db8::/129:allow\n", 1, "CIDR length is not a number from 0 to 128" },
        { "2001:db8:1:allow\n", 1, "not an IPv6 address (for a network use CIDR: 2001:db8::/32)" },
        { "=bad host:allow\n", 1,
            "bad character in a host name (want letters, digits, '-', '.', '_')" },
        { "@1.2.3.4:allow\n", 1, "empty TCPREMOTEINFO before \"@\"" },
        { "joe@10.:allow\n", 1, "after \"@\" want an exact address or =host.name" },
        { "1.2.3.4:al\0low\n"s, 1, "NUL byte in line" },
        { "\n\n" + std::string(9000, '1') + ":allow\n", 3,
            "line too long (the limit is 8192 bytes)" },
    };
    for (auto const& c : cases) {
        INFO(c.text);
        auto p = tcp_rules::parse(c.text);
        REQUIRE_FALSE(p.ok());
        CHECK(p.line == c.line);
        CHECK(std::string(p.problem) == c.problem);
    }
}

TEST_CASE("tcp_rules: lookup order", "[lib][tcp_rules]")
{
    tcp_rules::Client c { "10.1.2.3", "mx.example.org", "joe" };
    auto keys = tcp_rules::lookup_keys(c);
    REQUIRE(keys.size() == 4 + 32 + 3 + 1);
    CHECK(std::vector<std::string>(keys.begin(), keys.begin() + 4)
        == std::vector<std::string> {
            "joe@10.1.2.3", "joe@=mx.example.org", "10.1.2.3", "=mx.example.org" });
    CHECK(keys[4] == "10.1.2.2/31");
    CHECK(keys[4 + 7] == "10.1.2.");
    CHECK(keys[4 + 8] == "10.1.2.0/23");
    CHECK(keys[4 + 15] == "10.1.");
    CHECK(keys[4 + 23] == "10.");
    CHECK(keys[4 + 31] == "0.0.0.0/0");
    CHECK(std::vector<std::string>(keys.end() - 4, keys.end())
        == std::vector<std::string> { "=.example.org", "=.org", "=", "" });

    auto v6 = tcp_rules::lookup_keys({ "2001:db8::5", std::nullopt, std::nullopt });
    REQUIRE(v6.size() == 1 + 128 + 1);
    CHECK(v6[1] == "2001:db8::4/127");
    CHECK(v6[1 + 128 - 32 - 1] == "2001:db8::/32");
    CHECK(v6[128] == "::/0");
}

TEST_CASE("tcp_rules: compiled table gives the first matching rule", "[lib][tcp_rules]")
{
    TempDir dir;
    auto p = tcp_rules::parse("10.1.2.3:deny\n"
                              "10.64.0.0/10:allow,NET=\"cidr\"\n"
                              "10.1.:allow,NET=\"prefix\"\n"
                              "=.example.org:allow,HOST=\"yes\"\n"
                              "2001:db8::/32:allow,NET=\"v6\"\n"
                              ":allow,DEFAULT=\"1\"\n");
    REQUIRE(p.ok());
    std::string const path = dir.file("rules.cdb");
    REQUIRE(tcp_rules::write_cdb(path, p.entries).ok());
    auto db = Cdb::open(path);
    REQUIRE(db.ok());

    auto check = [&](tcp_rules::Client const& c, std::string const& key, bool deny,
                     std::string const& env) {
        INFO(c.ip);
        auto r = tcp_rules::lookup(*db, c);
        REQUIRE(r.ok());
        REQUIRE(r->has_value());
        auto const& rule = **r;
        CHECK(rule.key == key);
        CHECK(rule.deny == deny);
        std::string got;
        for (auto const& [k, v] : rule.env)
            got += k + "=" + v + ";";
        CHECK(got == env);
    };
    check({ "10.1.2.3", std::nullopt, std::nullopt }, "10.1.2.3", true, "");
    check({ "10.1.9.9", std::nullopt, std::nullopt }, "10.1.", false, "NET=prefix;");
    check({ "10.100.0.1", std::nullopt, std::nullopt }, "10.64.0.0/10", false, "NET=cidr;");
    check({ "10.128.0.1", "a.example.org", std::nullopt }, "=.example.org", false, "HOST=yes;");
    check({ "2001:db8:1::1", std::nullopt, std::nullopt }, "2001:db8::/32", false, "NET=v6;");
    check({ "192.0.2.1", std::nullopt, std::nullopt }, "", false, "DEFAULT=1;");
}

TEST_CASE("tcp_rules: decode skips malformed items", "[lib][tcp_rules]")
{
    auto r = tcp_rules::decode("k", "D\0+A=1\0+LD_PRELOAD=x\0junk\0+B=\0"s);
    REQUIRE(r.ok());
    CHECK(r->deny);
    CHECK(r->skipped == 2);
    REQUIRE(r->env.size() == 2);
    CHECK(r->env[1] == std::pair<std::string, std::string> { "B", "" });
    CHECK_FALSE(tcp_rules::decode("k", std::string(70000, 'x')).ok());
}
