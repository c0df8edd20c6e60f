#include "address.hpp"
#include "domain_names.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace mta;
using mta::test::domain_of;
using namespace std::literals;

namespace {

struct GoodCase {
    std::string_view input;
    std::string_view want_local;
    std::string_view want_domain;
};

struct BadCase {
    std::string_view input;
    std::string_view want_error;
};

std::string got_error(Result<Address> const& r)
{
    return r ? "(parsed)" : r.error().what;
}

void check_good(std::vector<GoodCase> const& cases, PathOptions const& options, bool addr_spec)
{
    for (auto const& c : cases) {
        INFO("input: " << c.input);
        auto got = addr_spec ? parse_addr_spec(c.input, options) : parse_path(c.input, options);
        REQUIRE(got_error(got) == "(parsed)");
        CHECK(got->local == c.want_local);
        CHECK(got->domain == c.want_domain);
    }
}

void check_bad(std::vector<BadCase> const& cases, PathOptions const& options, bool addr_spec)
{
    for (auto const& c : cases) {
        INFO("input: " << c.input);
        auto got = addr_spec ? parse_addr_spec(c.input, options) : parse_path(c.input, options);
        CHECK(got_error(got) == c.want_error);
    }
}

std::string repeat(std::size_t n, char c)
{
    return std::string(n, c);
}

std::string repeat(std::size_t n, std::string_view s)
{
    std::string out;
    for (std::size_t i = 0; i < n; ++i)
        out += s;
    return out;
}

} // namespace

TEST_CASE("parse_path accepts RFC 5321 paths", "[lib][address]")
{
    check_good(
        {
            { "<user@example.org>", "user", "example.org" },
            { "<First.Last+tag@Example.ORG>", "First.Last+tag", "Example.ORG" },
            { "<!#$%&'*+-/=?^_`{|}~@x.org>", "!#$%&'*+-/=?^_`{|}~", "x.org" },
            { "  <a@b.c>", "a", "b.c" },
            { "<a@b.c>   ", "a", "b.c" },
            { R"(<"john doe"@example.org>)", "john doe", "example.org" },
            { R"(<"a\"b c"@x.org>)", "a\"b c", "x.org" },
            { R"(<"a\\b"@x.org>)", "a\\b", "x.org" },
            { R"(<"\a\b"@x.org>)", "ab", "x.org" },
            { R"(<"a>b<c@d"@x.org>)", "a>b<c@d", "x.org" },
            { R"(<"a..b."@x.org>)", "a..b.", "x.org" },
            { "<@a.example,@b.example:user@c.example>", "user", "c.example" },
            { "<@a.example:user@c.example>", "user", "c.example" },
            { "<@[192.0.2.9]:user@c.example>", "user", "c.example" },
            { "<a@[192.0.2.1]>", "a", "[192.0.2.1]" },
            { "<a@[IPv6:2001:db8::1]>", "a", "[IPv6:2001:db8::1]" },
            { "<a@[ipv6:::1]>", "a", "[ipv6:::1]" },
            { "<a@[IPv6:::ffff:192.0.2.1]>", "a", "[IPv6:::ffff:192.0.2.1]" },
            { "<a@b-c.d-e>", "a", "b-c.d-e" },
            { "<a@1x.example>", "a", "1x.example" },
            { "<a@localhost>", "a", "localhost" },
            { "<a@" + repeat(63, 'l') + ".org>", "a", repeat(63, 'l') + ".org" },
        },
        PathOptions {}, false);
}

TEST_CASE("parse_path rejects bad syntax with a specific error", "[lib][address]")
{
    check_bad(
        {
            { "", "path not in angle brackets" },
            { "   ", "path not in angle brackets" },
            { "user@x.org", "path not in angle brackets" },
            { "<>", "null path not allowed" },
            { "<user@x.org", "missing closing angle bracket" },
            { "<user", "missing closing angle bracket" },
            { "<user@x.org>>", "trailing garbage after address" },
            { "<user@x.org>x", "trailing garbage after address" },
            { "<user@x.org> SIZE=10", "trailing garbage after address" },
            { "<<user@x.org>>", "unbalanced angle bracket" },
            { "<us<er@x.org>", "unbalanced angle bracket" },
            { "<a\0b@x.org>"sv, "NUL byte in address" },
            { "<a@x.org>\0"sv, "NUL byte in address" },
            { "<a\tb@x.org>", "control character in address" },
            { "<a@x.org\r\n>", "control character in address" },
            { "<a\x7f@x.org>", "control character in address" },
            { "<\x01@x.org>", "control character in address" },
            { R"(<"abc@x.org>)", "unterminated quoted string" },
            { R"(<"abc\"@x.org>)", "unterminated quoted string" },
            { R"(<"abc\)", "unterminated quoted string" },
            { R"(<abc"@x.org>)", "misplaced double quote" },
            { R"(<"a"b@x.org>)", "invalid character in local part" },
            { R"(<"a".b@x.org>)", "invalid character in local part" },
            { "<@x.org>", "empty local part" },
            { R"(<""@x.org>)", "empty local part" },
            { "<", "empty local part" },
            { "<a..b@x.org>", "double dot in local part" },
            { "<.a@x.org>", "local part starts or ends with a dot" },
            { "<a.@x.org>", "local part starts or ends with a dot" },
            { "<a b@x.org>", "invalid character in local part" },
            { "< a@x.org>", "invalid character in local part" },
            { "<a(b)@x.org>", "invalid character in local part" },
            { "<a\\@b@x.org>", "invalid character in local part" },
            { "<user>", "address has no domain" },
            { R"(<"a b">)", "address has no domain" },
            { "<user@>", "empty domain" },
            { "<user@x..org>", "empty label in domain" },
            { "<user@.x.org>", "empty label in domain" },
            { "<user@x.org.>", "empty label in domain" },
            { "<user@-x.org>", "domain label starts or ends with a hyphen" },
            { "<user@x-.org>", "domain label starts or ends with a hyphen" },
            { "<user@x_y.org>", "invalid character in domain" },
            { "<user@x.org >", "invalid character in domain" },
            { "<user@x@y.org>", "invalid character in domain" },
            { "<user@[1.2.3]>", "bad IPv4 address literal" },
            { "<user@[256.1.1.1]>", "bad IPv4 address literal" },
            { "<user@[01.2.3.4]>", "bad IPv4 address literal" },
            { "<user@[1.2.3.4 ]>", "bad IPv4 address literal" },
            { "<user@[example.org]>", "bad IPv4 address literal" },
            { "<user@[IPv6:2001:db8::g]>", "bad IPv6 address literal" },
            { "<user@[IPv6:1:2:3:4:5:6:7:8:9]>", "bad IPv6 address literal" },
            { "<user@[IPv6:1::2::3]>", "bad IPv6 address literal" },
            { "<user@[IPv6:]>", "bad IPv6 address literal" },
            { "<user@[IPv6:192.0.2.1]>", "bad IPv6 address literal" },
            { "<user@[2001:db8::1]>", "bad domain literal" },
            { "<user@[tag:value]>", "bad domain literal" },
            { "<user@[]>", "bad domain literal" },
            { "<user@[" + repeat(70, '1') + "]>", "bad domain literal" },
            { "<user@[1.2.3.4>", "unterminated domain literal" },
            { "<user@[1.2.3.4]x>", "invalid character in domain" },
            { "<@a.example>", "empty local part" },
            { "<@a.example,u@x.org>", "bad source route" },
            { "<@a.example,@:u@x.org>", "empty domain" },
            { "<@a.example;u@x.org>", "invalid character in domain" },
            { "<@a..example:u@x.org>", "empty label in domain" },
            { "<@a.example", "bad source route" },
            { "<\xc3\xbc@x.org>", "8-bit character in address" },
            { "<user@b\xc3\xbc"
              "cher.de>",
                "8-bit character in address" },
        },
        PathOptions {}, false);
}

TEST_CASE("parse_path enforces the RFC 5321 length limits", "[lib][address]")
{
    PathOptions rfc;
    std::string const local64 = repeat(64, 'l');
    auto ok = parse_path("<" + local64 + "@x.org>", rfc);
    CHECK(ok.ok());
    check_bad(
        {
            { "<" + repeat(65, 'l') + "@x.org>", "local part too long" },
            { R"(<")" + repeat(63, 'l') + R"(">)", "address has no domain" },
            { R"(<")" + repeat(63, 'l') + R"("@x.org>)", "local part too long" },
            { "<a@" + repeat(64, 'l') + ".org>", "domain label too long" },
            { "<a@" + domain_of(256) + ">", "domain too long" },
            { "<" + local64 + "@" + domain_of(190) + ">", "path too long" },
            { "<@" + domain_of(200) + ":a@" + domain_of(60) + ">", "path too long" },
            { "<" + repeat(2000, 'a') + "@x.org>", "address too long" },
            { "<a@" + repeat(2000, 'b') + ">", "address too long" },
            { repeat(2000, '<'), "address too long" },
            { "<" + repeat(2000, '"') + ">", "address too long" },
        },
        rfc, false);
    CHECK(parse_path("<" + local64 + "@" + domain_of(189) + ">", rfc).ok()); // 256 exactly
    CHECK(parse_path("<a@" + domain_of(252) + ">", rfc).ok());
}

TEST_CASE("raised limits still stop at kMaxAddressBytes", "[lib][address]")
{
    PathOptions big;
    big.max_local = 2000;
    big.max_domain = 2000;
    big.max_path = 2000;
    CHECK(parse_path("<" + repeat(900, 'a') + "@x.org>", big).ok());
    CHECK(parse_path("<" + repeat(994, 'a') + "@x.org>", big).ok()); // 1002 bytes
    auto too_long = parse_path("<" + repeat(995, 'a') + "@x.org>", big);
    REQUIRE_FALSE(too_long.ok());
    CHECK(got_error(too_long) == "address too long");
    auto with_params = parse_path_with_params("<" + repeat(1200, 'a') + "@x.org> X=1", big);
    REQUIRE_FALSE(with_params.ok());
    CHECK(with_params.error().what == "address too long"sv);
}

TEST_CASE("address_error_is_length tells limits from syntax", "[lib][address]")
{
    PathOptions rfc;
    for (auto const& text : { "<" + repeat(65, 'a') + "@x.org>", "<a@" + domain_of(300) + ">",
             "<a@" + repeat(70, 'x') + ">", repeat(2000, 'x'),
             "<" + repeat(60, 'a') + "@" + domain_of(200) + ">" }) {
        auto r = parse_path(text, rfc);
        REQUIRE_FALSE(r.ok());
        INFO("error: " << r.error().what);
        CHECK(address_error_is_length(r.error()));
    }
    for (auto text : { "<a@@x>", "<a", "<\"a>", "<a@[1.2.3.4.5]>" }) {
        auto r = parse_path(text, rfc);
        REQUIRE_FALSE(r.ok());
        INFO("error: " << r.error().what);
        CHECK_FALSE(address_error_is_length(r.error()));
    }
    CHECK_FALSE(address_error_is_length(Error::from_errno("x")));
    CHECK_FALSE(address_error_is_length(Error { 0, nullptr }));
}

TEST_CASE("parse_path options: null path, brackets, domain", "[lib][address]")
{
    PathOptions mail_from;
    mail_from.allow_null = true;
    for (auto text : { "<>", " <>", "<>  " }) {
        auto r = parse_path(text, mail_from);
        REQUIRE(r.ok());
        CHECK(r->is_null());
        CHECK(r->to_string().empty());
    }
    CHECK(got_error(parse_path("<> x", mail_from)) == "trailing garbage after address");
    CHECK(got_error(parse_path("< >", mail_from)) == "invalid character in local part");

    PathOptions qmail;
    qmail.allow_missing_brackets = true;
    qmail.require_domain = false;
    check_good(
        {
            { "user@host.example", "user", "host.example" },
            { "  user@host.example", "user", "host.example" },
            { "user", "user", "" },
            { R"("a b"@host)", "a b", "host" },
            { "@r.example:user@host", "user", "host" },
            { "<postmaster>", "postmaster", "" },
            { "<user@host>", "user", "host" },
        },
        qmail, false);
    check_bad(
        {
            { "", "path not in angle brackets" },
            { "user@host>", "unbalanced angle bracket" },
            { "user>", "unbalanced angle bracket" },
            { "user@host x", "trailing garbage after address" },
            { "<user@host", "missing closing angle bracket" },
            { "<>", "null path not allowed" },
        },
        qmail, false);
}

TEST_CASE("parse_path_with_params returns the ESMTP parameters", "[lib][address]")
{
    PathOptions options;
    options.allow_null = true;
    struct Case {
        std::string_view input;
        std::string_view want_address;
        std::string_view want_params;
    };
    for (auto const& c : std::vector<Case> {
             { "<a@b.c>", "a@b.c", "" },
             { "<a@b.c> SIZE=100 BODY=8BITMIME", "a@b.c", "SIZE=100 BODY=8BITMIME" },
             { "<>   SIZE=1", "", "SIZE=1" },
             { R"(<"x> y"@b.c> RET=HDRS)", R"("x> y"@b.c)", "RET=HDRS" },
         }) {
        INFO("input: " << c.input);
        auto got = parse_path_with_params(c.input, options);
        REQUIRE(got.ok());
        CHECK(got->address.to_string() == c.want_address);
        CHECK(got->params == c.want_params);
    }
    CHECK(parse_path_with_params("<a@b.c>SIZE=1", options).error().what
        == "trailing garbage after address"sv);
    CHECK(parse_path_with_params("<a@b.c> X=\xc3\xa9", options).error().what
        == "8-bit character in address"sv);
}

TEST_CASE("parse_path with SMTPUTF8", "[lib][address]")
{
    PathOptions utf8;
    utf8.allow_utf8 = true;
    check_good(
        {
            { "<\xc3\xbc@x.org>", "\xc3\xbc", "x.org" },
            { "<user@b\xc3\xbc"
              "cher.de>",
                "user",
                "b\xc3\xbc"
                "cher.de" },
            { "<\"\xe2\x82\xac x\"@x.org>", "\xe2\x82\xac x", "x.org" },
            { "<\xf0\x9f\x93\xa7@x.org>", "\xf0\x9f\x93\xa7", "x.org" },
            { "<a@" + repeat(30, "\xe4\xb8\xad") + ".org>", "a",
                repeat(30, "\xe4\xb8\xad") + ".org" },
        },
        utf8, false);
    check_bad(
        {
            { "<\xff@x.org>", "invalid UTF-8 in address" },
            { "<\xc3@x.org>", "invalid UTF-8 in address" },
            { "<\xc0\xaf@x.org>", "invalid UTF-8 in address" }, // overlong '/'
            { "<\xe0\x80\xaf@x.org>", "invalid UTF-8 in address" }, // overlong
            { "<\xed\xa0\x80@x.org>", "invalid UTF-8 in address" }, // surrogate
            { "<\xf4\x90\x80\x80@x.org>", "invalid UTF-8 in address" }, // > U+10FFFF
            { "<a@b\xc3\xbc\xc3>", "invalid UTF-8 in address" },
        },
        utf8, false);
}

TEST_CASE("parse_addr_spec reads RFC 5322 addr-specs", "[lib][address]")
{
    check_good(
        {
            { "user@example.org", "user", "example.org" },
            { "  user @ example.org  ", "user", "example.org" },
            { "(c1) user (c2) @ (c3) example.org (c4)", "user", "example.org" },
            { "user(nested (comment (deep)) here)@example.org", "user", "example.org" },
            { R"((a\)b) user@x.org)", "user", "x.org" },
            { R"("john doe"@example.org)", "john doe", "example.org" },
            { "\"john\r\n doe\"@example.org", "john doe", "example.org" },
            { "\"tab\there\"@x.org", "tab\there", "x.org" },
            { "user\r\n\t@x.org", "user", "x.org" },
            { "user@[192.0.2.1]", "user", "[192.0.2.1]" },
            { "user@[IPv6:::1] (loopback)", "user", "[IPv6:::1]" },
        },
        PathOptions {}, true);
    check_bad(
        {
            { "user", "address has no domain" },
            { "user@", "empty domain" },
            { "user@x.org (unterminated", "unterminated comment" },
            { "(open user@x.org", "unterminated comment" },
            { "a b@x.org", "invalid character in local part" },
            { "a@b c", "trailing garbage after address" },
            { "a@b )", "trailing garbage after address" },
            { "<a@b>", "unbalanced angle bracket" },
            { "a@b\n", "control character in address" },
            { "a@b\r\nc", "control character in address" },
            { "a\0@b"sv, "NUL byte in address" },
            { "\"a\\\r\n b\"@x.org", "bad backslash escape" },
            { "\"abc@x.org", "unterminated quoted string" },
            { repeat(2000, 'a'), "address too long" },
            { repeat(65, 'a') + "@x.org", "local part too long" },
            { "a@[1.2.3.4]]", "invalid character in domain" },
        },
        PathOptions {}, true);
    PathOptions bare;
    bare.require_domain = false;
    check_good({ { "user", "user", "" }, { " user (comment)", "user", "" } }, bare, true);
}

TEST_CASE("to_string quotes the local part when needed", "[lib][address]")
{
    struct Case {
        Address address;
        std::string_view want;
    };
    for (auto const& c : std::vector<Case> {
             { { "user", "example.org" }, "user@example.org" },
             { { "john doe", "example.org" }, R"("john doe"@example.org)" },
             { { "a\"b c", "x.org" }, R"("a\"b c"@x.org)" },
             { { "a\\b", "x.org" }, R"("a\\b"@x.org)" },
             { { "a..b", "x.org" }, R"("a..b"@x.org)" },
             { { "a@b", "x.org" }, R"("a@b"@x.org)" },
             { { "postmaster", "" }, "postmaster" },
             { { "a", "[IPv6:2001:db8::1]" }, "a@[IPv6:2001:db8::1]" },
             { { "", "" }, "" },
         }) {
        CHECK(c.address.to_string() == c.want);
    }
}

TEST_CASE("parse -> to_string -> parse round-trips", "[lib][address]")
{
    PathOptions options;
    options.allow_null = true;
    options.allow_utf8 = true;
    options.require_domain = false;
    for (auto text : { "<user@example.org>", R"(<"john doe"@example.org>)", R"(<"a\"b c"@x.org>)",
             R"(<"a\\b"@x.org>)", R"(<"\a\b"@x.org>)", R"(<"a.b"@x.org>)",
             "<@a.example,@b.example:user@c.example>", "<a@[IPv6:2001:db8::1]>", "<>",
             "<postmaster>", R"(<" "@x.org>)", R"(<"."@x.org>)", "<\xc3\xbc@x.org>",
             R"(<"a>b"@x>)" }) {
        INFO("input: " << text);
        auto first = parse_path(text, options);
        REQUIRE(first.ok());
        auto again = parse_path("<" + first->to_string() + ">", options);
        REQUIRE(again.ok());
        CHECK(*again == *first);
        auto spec = parse_addr_spec(first->to_string(), options);
        if (!first->is_null()) {
            REQUIRE(spec.ok());
            CHECK(*spec == *first);
        }
    }
}

TEST_CASE("is_dot_atom and quote_local", "[lib][address]")
{
    struct Case {
        std::string_view input;
        bool want_dot_atom;
        std::string_view want_quoted;
    };
    for (auto const& c : std::vector<Case> {
             { "user", true, "user" },
             { "first.last", true, "first.last" },
             { "a+b-c_d", true, "a+b-c_d" },
             { "\xc3\xbc", true, "\xc3\xbc" },
             { "", false, R"("")" },
             { ".a", false, R"(".a")" },
             { "a.", false, R"("a.")" },
             { "a..b", false, R"("a..b")" },
             { "a b", false, R"("a b")" },
             { "a\"b", false, R"("a\"b")" },
             { "a\\b", false, R"("a\\b")" },
             { "a\0b"sv, false, "\"a\0b\""sv },
             { "(x)", false, "\"(x)\"" },
         }) {
        INFO("input: " << c.input);
        CHECK(is_dot_atom(c.input) == c.want_dot_atom);
        CHECK(quote_local(c.input) == c.want_quoted);
    }
}

TEST_CASE("split_at_last_at splits at the last @", "[lib][address]")
{
    struct Case {
        std::string_view input;
        std::string_view want_local;
        std::string_view want_domain;
    };
    for (auto const& c : std::vector<Case> {
             { "user@example.org", "user", "example.org" },
             { "a@b@example.org", "a@b", "example.org" },
             { "user", "user", "" },
             { "user@", "user", "" },
             { "@example.org", "", "example.org" },
             { "", "", "" },
         }) {
        INFO("input: " << c.input);
        auto [local, domain] = split_at_last_at(c.input);
        CHECK(local == c.want_local);
        CHECK(domain == c.want_domain);
    }
}
