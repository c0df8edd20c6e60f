#include "control_files.hpp"

#include <catch2/catch.hpp>

using admin::find_control_file;
using admin::validate_control_content;

namespace {

std::vector<std::string> problems(const char* name, std::string_view content)
{
    auto const* file = find_control_file(name);
    REQUIRE(file != nullptr);
    return validate_control_content(*file, content);
}

} // namespace

TEST_CASE("good control files have no problem", "[control][control_files]")
{
    struct Case {
        const char* name;
        const char* content;
    };
    Case const cases[] = {
        { "me", "mail.example.org\n" },
        { "me", "mail.example.org\r\n" },
        { "me", "[192.0.2.1]" },
        { "locals", "# comment\nexample.org\n\nlocalhost" },
        { "rcpthosts", "example.org\r\n.example.net\r\n" },
        { "databytes", "0\n" },
        { "concurrencyremote", "0" },
        { "queuelifetime", "604800\n" },
        { "virtualdomains",
            "virt.example:virt\nuser@virt2.example:u\n.wild.example:w\n:all\nex.example:\n" },
        { "smtproutes",
            ":relay.example\nx.example:[192.0.2.1]:2525\n.y.example:\nz.example:[IPv6:2001:db8::1]:"
            "25\nmx.example::2525\n" }, // key::port: DNS as usual, another port
        { "badmailfrom", "spam@example.com\n@spam.example\n" },
        { "bouncefrom", "MAILER-DAEMON\n" },
        { "smtpgreeting", "mail.example.org ESMTP ready\n" },
        { "services", "smtp=*:25\nimaps=[::1]:993\n" },
    };
    for (auto const& c : cases) {
        INFO(c.name << ": " << c.content);
        CHECK(problems(c.name, c.content).empty());
    }
}

TEST_CASE("bad control files are reported precisely", "[control][control_files]")
{
    struct Case {
        const char* name;
        const char* content;
        const char* want;
    };
    Case const cases[] = {
        { "databytes", "12x\n", "not a number: 12x" },
        { "databytes", "", "not a number: " },
        { "databytes", "99999999999999999999999\n",
            "number out of range: 99999999999999999999999" },
        { "concurrencylocal", "0\n", "out of range: 0 (want 1..500)" },
        { "timeoutsmtpd", "-1", "out of range: -1 (want 1..86400)" },
        { "me", "bad..example\n", "empty label in domain: bad..example" },
        { "me", "", "empty domain: " },
        { "locals", "ok.example\nnot ok.example\n",
            "line 2: invalid character in domain: not ok.example" },
        { "locals", "a.example\na.example\n", "line 2: duplicate entry: a.example" },
        { "bouncefrom", "a@b\n", "bad local part: a@b" },
        { "smtpgreeting", "\n", "empty" },
        { "virtualdomains", "nocolon\n", "line 1: want [user@]domain:prefix: nocolon" },
        { "virtualdomains", "ok.example:bad prefix\n", "line 1: bad prefix: bad prefix" },
        { "smtproutes", "x.example:relay.example:70000\n", "line 1: bad port: 70000" },
        { "smtproutes", "x.example\n", "line 1: want domain:relay[:port]: x.example" },
        { "badmailfrom", "@bad..example\n", "line 1: empty label in domain: bad..example" },
        { "services", "ftp=*:21\n", "line 1: unknown service" },
    };
    for (auto const& c : cases) {
        INFO(c.name << ": " << c.content);
        auto p = problems(c.name, c.content);
        REQUIRE(p.size() == 1);
        CHECK(p[0].find(c.want) == 0);
    }
}

TEST_CASE("huge lines are a problem, not a crash", "[control][control_files]")
{
    std::string huge(200000, 'a');
    auto p = problems("me", huge);
    REQUIRE(p.size() == 1);
    CHECK(p[0] == "line too long");
    auto q = problems("locals", "ok.example\n" + huge + "\n");
    REQUIRE(q.size() == 1);
    CHECK(q[0] == "line too long");
}

TEST_CASE("edit distance finds likely misspellings", "[control][control_files]")
{
    CHECK(admin::edit_distance("rcpthost", "rcpthosts") == 1);
    CHECK(admin::edit_distance("rcpthsots", "rcpthosts") == 2);
    CHECK(admin::edit_distance("", "abc") == 3);
    CHECK(admin::edit_distance("same", "same") == 0);
    CHECK(admin::find_control_file("rcpthost") == nullptr);
}

TEST_CASE("authsenders: login:address or login:@domain", "[control][control_files]")
{
    CHECK(
        problems("authsenders", "u@example.test:@example.test\nu@example.test:sales@example.org\n")
            .empty());
    auto bad = problems("authsenders", "u@example.test\n:@example.test\nu@x.test:@bad..dom\n");
    REQUIRE(bad.size() == 3);
    CHECK(bad[0] == "line 1: want login:address or login:@domain: u@example.test");
    CHECK(bad[1] == "line 2: want login:address or login:@domain: :@example.test");
    CHECK(bad[2].rfind("line 3: ", 0) == 0);
}

TEST_CASE(
    "the control files of smtpd, auth and remote are known and checked", "[control][control_files]")
{
    CHECK(problems("authfaildelay", "2\n").empty());
    CHECK(problems("authfaildelay", "61\n").size() == 1);
    CHECK(problems("concurrencyincoming", "40\n").empty());
    CHECK(problems("concurrencyincoming", "0\n").size() == 1);
    CHECK(problems("timeoutdns", "30\n").empty());
    CHECK(problems("timeoutdns", "soon\n").size() == 1);
    CHECK(problems("tlsdestinations", "example.org\n.example.net\n").empty());
    CHECK(problems("tlsdestinations", "bad..domain\n").size() == 1);
    CHECK(problems("checkpassword", "/usr/local/bin/checkpassword\n").empty());
}
