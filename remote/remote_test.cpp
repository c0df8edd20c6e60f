// Unit tests of remote's pure parts: routes, tcpto records, MX order, replies, EHLO
// keywords, the DATA stream, forwarder syntax.
#include "config.hpp"
#include "dns.hpp"
#include "routes.hpp"
#include "smtp.hpp"
#include "tcpto.hpp"

#include "fd.hpp"

#include <catch2/catch.hpp>
#include <unistd.h>

using remote::Route;

TEST_CASE("smtproutes: host, suffixes, default, literals and ports", "[remote]")
{
    std::vector<std::string> const lines = { "exact.example:relay.example",
        ".sub.example:[192.0.2.7]:2525", "nodns.example:", "port.example::2525",
        "v6.example:[::1]:26", ":default.example:587", "Mixed.Example:m.example" };
    struct Case {
        std::string host;
        std::optional<Route> want;
    };
    Case const cases[] = {
        { "exact.example", Route { "relay.example", 25 } },
        { "a.sub.example", Route { "[192.0.2.7]", 2525 } },
        { "b.a.sub.example", Route { "[192.0.2.7]", 2525 } },
        { "sub.example", Route { "default.example", 587 } }, // .sub matches subdomains only
        { "nodns.example", Route { "", 25 } },
        { "v6.example", Route { "[::1]", 26 } },
        { "port.example", Route { "", 2525 } },
        { "mixed.example", Route { "m.example", 25 } },
        { "other.example", Route { "default.example", 587 } },
    };
    for (auto const& c : cases) {
        INFO(c.host);
        auto got = remote::find_route(lines, c.host);
        REQUIRE(got.ok());
        CHECK(*got == c.want);
    }
    auto none = remote::find_route({ "a.example:b.example" }, "c.example");
    REQUIRE(none.ok());
    CHECK_FALSE(none->has_value());
    CHECK_FALSE(remote::find_route({ "x.example:r:99999" }, "x.example").ok());
    CHECK_FALSE(remote::find_route({ "x.example:[1.2.3.4" }, "x.example").ok());
    CHECK(remote::literal_address("[192.0.2.1]") == "192.0.2.1");
    CHECK(remote::literal_address("[IPv6:2001:db8::1]") == "2001:db8::1");
    CHECK(remote::literal_address("relay.example") == std::nullopt);
}

TEST_CASE("tcpto: two timeouts skip an address for about an hour", "[remote]")
{
    auto ip = *remote::parse_ip("192.0.2.1");
    auto ip6 = *remote::parse_ip("2001:db8::1");
    std::string table;
    time_t const t0 = 1000000;
    CHECK(remote::tcpto_update(table, ip, true, t0));
    CHECK(table.size() == remote::kTcptoBytes);
    CHECK_FALSE(remote::tcpto_should_skip(table, ip, t0, 0)); // one error only
    CHECK_FALSE(remote::tcpto_update(table, ip, true, t0 + 60)); // at most once per 120 s
    CHECK(remote::tcpto_update(table, ip, true, t0 + 200));
    CHECK(remote::tcpto_should_skip(table, ip, t0 + 200, 0));
    CHECK(remote::tcpto_should_skip(table, ip, t0 + 200 + 60L * 64 - 1, 0));
    CHECK_FALSE(remote::tcpto_should_skip(table, ip, t0 + 200 + 60L * 64, 0));
    CHECK(remote::tcpto_should_skip(table, ip, t0 + 200 + 60L * 64, 31)); // pid & 31 adds time
    CHECK_FALSE(remote::tcpto_should_skip(table, ip6, t0 + 200, 0));
    CHECK(remote::tcpto_update(table, ip, false, t0 + 300)); // a connect resets the count
    CHECK_FALSE(remote::tcpto_should_skip(table, ip, t0 + 300, 0));
    CHECK_FALSE(remote::tcpto_update(table, ip6, false, t0)); // no record for a good host
    // A full table: the oldest, least-failed record goes.
    for (unsigned i = 0; i < remote::kTcptoRecords + 1; ++i) {
        auto a = *remote::parse_ip("198.51.100." + std::to_string(i + 1));
        CHECK(remote::tcpto_update(table, a, true, t0 + 1000 + i));
        CHECK(remote::tcpto_update(table, a, true, t0 + 2000 + i));
    }
    CHECK(remote::tcpto_should_skip(table, *remote::parse_ip("198.51.100.33"), t0 + 2100, 0));
}

TEST_CASE("the Tcpto file is read and written under its lock", "[remote]")
{
    char path[] = "/tmp/tcpto-test-XXXXXX";
    int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    ::close(fd);
    remote::Tcpto t(path);
    auto ip = *remote::parse_ip("192.0.2.9");
    t.record(ip, true);
    CHECK_FALSE(t.should_skip(ip));
    auto content = mta::read_file(path, 4096);
    REQUIRE(content.ok());
    CHECK(content->size() == remote::kTcptoBytes);
    ::unlink(path);
    CHECK_FALSE(remote::Tcpto("/nonexistent/tcpto").should_skip(ip));
}

TEST_CASE("MX order: preference, self-MX rule, null MX", "[remote]")
{
    std::mt19937 random(42);
    using remote::Mx;
    auto got = remote::order_mx({ { "c.example.", 20 }, { "a.example", 10 }, { "b.example", 10 } },
        { "here.example" }, "x.example", random);
    REQUIRE(got.failure.empty());
    REQUIRE(got.mx.size() == 3);
    CHECK(got.mx[2] == Mx { "c.example", 20 });
    CHECK(got.mx[0].preference == 10);
    // Equal preferences come in both orders over some tries.
    bool a_first = false, b_first = false;
    for (int i = 0; i < 50; ++i) {
        auto o = remote::order_mx({ { "a.example", 10 }, { "b.example", 10 } }, {}, "x", random);
        (o.mx[0].name == "a.example" ? a_first : b_first) = true;
    }
    CHECK((a_first && b_first));
    // We are MX 20: only the 10 is used.
    got = remote::order_mx({ { "Here.Example.", 20 }, { "a.example", 10 }, { "c.example", 30 } },
        { "here.example" }, "x.example", random);
    CHECK(got.mx == std::vector<Mx> { { "a.example", 10 } });
    got = remote::order_mx(
        { { "here.example", 10 }, { "a.example", 10 } }, { "here.example" }, "x.example", random);
    CHECK(got.mx.empty());
    CHECK(got.failure.find("(#5.4.6)") != std::string::npos);
    CHECK(got.failure[0] == 'D');
    got = remote::order_mx({ { ".", 0 } }, {}, "nomail.example", random);
    CHECK(got.failure.find("(#5.1.10)") != std::string::npos);
    auto mx = remote::decode_mx(std::string("\0\x0a\x02mx\x07"
                                            "example\0",
        14));
    REQUIRE(mx);
    CHECK(*mx == Mx { "mx.example", 10 });
    CHECK_FALSE(remote::decode_mx(std::string("\0\x0a\x09mx", 5)));
}

TEST_CASE("forwarders are written in unbound's syntax", "[remote]")
{
    struct Case {
        std::string in, want;
    };
    Case const cases[] = { { "127.0.0.1", "127.0.0.1" }, { "127.0.0.1@5353", "127.0.0.1@5353" },
        { "127.0.0.1:5353", "127.0.0.1@5353" }, { "[::1]:53", "::1@53" }, { "::1", "::1" },
        { "[::1]", "::1" } };
    for (auto const& c : cases) {
        auto got = remote::forwarder_syntax(c.in);
        INFO(c.in);
        REQUIRE(got.ok());
        CHECK(*got == c.want);
    }
    for (char const* bad : { "dns.example", "1.2.3.4@x", "1.2.3.4@99999", "[::1", "[::1]x" })
        CHECK_FALSE(remote::forwarder_syntax(bad).ok());
}

TEST_CASE("replies: continuation lines, the last code wins, CRs go", "[remote]")
{
    auto pipe = mta::make_pipe();
    REQUIRE(pipe.ok());
    REQUIRE(mta::write_all(pipe->write_end.get(),
        "250-first\r\n250-PIPELINING\r\n250 SIZE 1000\r\n451 4.3.0 try later\r\nbad\r\n554 x")
                .ok());
    REQUIRE(pipe->write_end.close().ok());
    mta::Reader in(pipe->read_end.get(), 1000);
    auto r = remote::read_reply(in);
    REQUIRE(r.ok());
    CHECK(r->code == 250);
    CHECK(r->text == "250-first\n250-PIPELINING\n250 SIZE 1000");
    auto ext = remote::parse_ehlo(r->text);
    CHECK(ext.pipelining);
    CHECK(ext.size);
    CHECK(ext.size_limit == 1000);
    CHECK_FALSE(ext.starttls);
    r = remote::read_reply(in);
    REQUIRE(r.ok());
    CHECK(r->code == 451);
    CHECK_FALSE(r->positive());
    CHECK_FALSE(r->permanent());
    r = remote::read_reply(in);
    REQUIRE(r.ok());
    CHECK(r->code == 0); // not a reply: neither positive nor permanent
    CHECK_FALSE(remote::read_reply(in).ok()); // a partial line at the end: connection died
    auto e = remote::parse_ehlo("250-x\n250-starttls\n250-8BITMIME\n250 smtputf8");
    CHECK((e.starttls && e.eightbitmime && e.smtputf8 && !e.pipelining));
}

TEST_CASE("a long reply keeps its first 5000 bytes and its code", "[remote]")
{
    std::vector<std::string> lines(200, "550-" + std::string(100, 'x'));
    lines.push_back("550 end");
    auto r = remote::parse_reply_lines(lines);
    CHECK(r.code == 550);
    CHECK(r.text.size() == remote::kMaxReplyText);
}

TEST_CASE("the DATA stream: CRLF, dot-stuffing, partial last line, final dot", "[remote]")
{
    struct Case {
        std::vector<std::string> chunks;
        std::string want;
    };
    Case const cases[] = {
        { { "a\nb\n" }, "a\r\nb\r\n.\r\n" },
        { { ".x\n..y\nz.\n.\n" }, "..x\r\n...y\r\nz.\r\n..\r\n.\r\n" },
        { { "a\r\nb\rc\n" }, "a\r\nb\r\nc\r\n.\r\n" },
        { { "a\r", "\nb\r", "c", "\n.", "d\n" }, "a\r\nb\r\nc\r\n..d\r\n.\r\n" },
        { { "no end" }, "no end\r\n.\r\n" },
        { { "" }, ".\r\n" },
        { { "caf\xc3\xa9\n" }, "caf\xc3\xa9\r\n.\r\n" },
    };
    for (auto const& c : cases) {
        remote::DataEncoder enc;
        std::string out;
        for (auto const& chunk : c.chunks)
            enc.feed(chunk, out);
        enc.finish(out);
        CHECK(out == c.want);
    }
    auto f = remote::message_facts("a\nb\n");
    CHECK(f.wire_size == 6);
    CHECK_FALSE(f.eightbit);
    CHECK(remote::message_facts("\xc3\xa9", f).eightbit);
    CHECK(remote::needs_utf8("j\xc3\xb6rg@example.org"));
    CHECK_FALSE(remote::needs_utf8("joe@example.org"));
}

TEST_CASE("tlsdestinations: a domain or a .suffix", "[remote]")
{
    std::vector<std::string> const lines = { "Secure.Example", ".strict.example" };
    CHECK(remote::tls_required(lines, "secure.example"));
    CHECK(remote::tls_required(lines, "mx.strict.example"));
    CHECK_FALSE(remote::tls_required(lines, "strict.example"));
    CHECK_FALSE(remote::tls_required(lines, "other.example"));
    CHECK_FALSE(remote::tls_required(lines, "sub.secure.example"));
}
