#include "dot_qmail.hpp"

#include "test_helpers.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

using namespace local;
using mta::test::TempDir;

namespace {

std::string kinds(std::vector<Instruction> const& got)
{
    std::string out;
    for (auto const& i : got) {
        switch (i.kind) {
        case Kind::program:
            out += "P:";
            break;
        case Kind::forward:
            out += "F:";
            break;
        case Kind::maildir:
            out += "D:";
            break;
        case Kind::mbox:
            out += "M:";
            break;
        }
        out += i.text + ";";
    }
    return out;
}

} // namespace

TEST_CASE("dot-qmail lines are parsed as qmail-local reads them", "[local][dot_qmail]")
{
    struct {
        std::string_view in;
        std::string_view want;
    } const cases[] = {
        { "./Maildir/\n", "D:./Maildir/;" },
        { "./Mailbox\n", "M:./Mailbox;" },
        { "/var/mail/joe", "M:/var/mail/joe;" }, // no final LF
        { "/home/joe/Maildir/  \t\n", "D:/home/joe/Maildir/;" },
        { "./Maildir/\r\n", "D:./Maildir/;" }, // CRLF files work
        { "|preline procmail\n", "P:preline procmail;" },
        { "| exit 0\n", "P: exit 0;" },
        { "&joe@example.org\n", "F:joe@example.org;" },
        { "joe@example.org\n", "F:joe@example.org;" },
        { "joe\n", "F:joe;" },
        { "# comment\n./Maildir/\n", "D:./Maildir/;" },
        { "./Maildir/\n\n\n&a@b\n", "D:./Maildir/;F:a@b;" },
        { "+list\n&a@b\n", "F:a@b;" },
        { "+other\n&a@b\n", "F:a@b;" }, // '+' lines other than +list are ignored
        { "", "" },
        { "#\n", "" },
        { "&a@b\n|x\n./M/\n/m\n", "F:a@b;P:x;D:./M/;M:/m;" },
    };
    for (auto const& c : cases) {
        INFO("input " << c.in);
        auto got = parse_dot_qmail(c.in, false);
        REQUIRE(got.ok());
        CHECK(kinds(*got) == c.want);
    }
}

TEST_CASE("dot-qmail line numbers count every line", "[local][dot_qmail]")
{
    auto got = parse_dot_qmail("# c\n\n./Maildir/\n&a@b\n", false);
    REQUIRE(got.ok());
    REQUIRE(got->size() == 2);
    CHECK((*got)[0] == Instruction { Kind::maildir, "./Maildir/", 3 });
    CHECK((*got)[1] == Instruction { Kind::forward, "a@b", 4 });
}

TEST_CASE("bad dot-qmail files are temporary failures", "[local][dot_qmail]")
{
    struct {
        std::string in;
        bool forward_only;
        std::string_view want;
    } const cases[] = {
        { "\n./Maildir/\n", false, "Uh-oh: first line of .qmail file is blank. (#4.2.1)" },
        { "  \n", false, "Uh-oh: first line of .qmail file is blank. (#4.2.1)" },
        { "./Maildir/\n", true, "Uh-oh: .qmail has file delivery but has x bit set. (#4.7.0)" },
        { "|true\n", true, "Uh-oh: .qmail has prog delivery but has x bit set. (#4.7.0)" },
        { "&a@b\n+list\n./Mailbox\n", false,
            "Uh-oh: .qmail has file delivery but has x bit set. (#4.7.0)" },
        { "&\n", false, "Uh-oh: line 1 of the .qmail file: empty forward address. (#4.2.1)" },
        { "a@b\n&" + std::string(1003, 'x') + "\n", false,
            "Uh-oh: line 2 of the .qmail file: forward address too long. (#4.2.1)" },
        { "|" + std::string(kMaxLineBytes, 'x') + "\n", false,
            "Uh-oh: line 1 of the .qmail file: line too long. (#4.2.1)" },
        { std::string("./Mail\0box\n", 11), false,
            "Uh-oh: line 1 of the .qmail file: NUL byte. (#4.2.1)" },
        { std::string(kMaxDotQmailBytes + 1, '#'), false,
            "Uh-oh: .qmail file is too big. (#4.2.1)" },
    };
    for (auto const& c : cases) {
        INFO("input " << c.in.substr(0, 40));
        auto got = parse_dot_qmail(c.in, c.forward_only);
        REQUIRE_FALSE(got.ok());
        CHECK(got.failure().exit_code == 111);
        CHECK(got.failure().text == c.want);
    }
}

TEST_CASE("a dot-qmail file may hold at most kMaxInstructions deliveries", "[local][dot_qmail]")
{
    std::string content;
    for (size_t i = 0; i < kMaxInstructions; ++i)
        content += "a" + std::to_string(i) + "@b\n";
    auto full = parse_dot_qmail(content, false);
    REQUIRE(full.ok());
    CHECK(full->size() == kMaxInstructions);
    auto over = parse_dot_qmail(content + "# fine\none@more\n", false);
    REQUIRE_FALSE(over.ok());
    CHECK(over.failure().text
        == "Uh-oh: line " + std::to_string(kMaxInstructions + 2)
            + " of the .qmail file: too many delivery instructions. (#4.2.1)");
}

TEST_CASE("safe extensions are lowercase without dots or slashes", "[local][dot_qmail]")
{
    struct {
        std::string_view in, want;
    } const cases[] = {
        { "", "" }, { "Foo", "foo" }, { "a.b", "a:b" }, { "List-Foo.Bar", "list-foo:bar" },
        { "../x", ":::x" }, { "\xc3\x89t\xc3\xa9", "\xc3\x89t\xc3\xa9" }, // 8-bit bytes unchanged
    };
    for (auto const& c : cases) {
        INFO("ext " << c.in);
        CHECK(safe_extension(c.in) == c.want);
    }
}

TEST_CASE("candidate names go from the most specific to .qmail-default", "[local][dot_qmail]")
{
    using V = std::vector<Candidate>;
    struct {
        std::string_view dash, ext;
        V want;
    } const cases[] = {
        { "", "", V { { ".qmail", std::nullopt } } },
        { "-", "", V { { ".qmail-", std::nullopt }, { ".qmail-default", 0 } } },
        { "-", "a", V { { ".qmail-a", std::nullopt }, { ".qmail-default", 0 } } },
        { "-", "a-",
            V { { ".qmail-a-", std::nullopt }, { ".qmail-a-default", 2 },
                { ".qmail-default", 0 } } },
        { "-", "a-b",
            V { { ".qmail-a-b", std::nullopt }, { ".qmail-a-default", 2 },
                { ".qmail-default", 0 } } },
        { "-", "a-b-c",
            V { { ".qmail-a-b-c", std::nullopt }, { ".qmail-a-b-default", 4 },
                { ".qmail-a-default", 2 }, { ".qmail-default", 0 } } },
        { "-", "default", V { { ".qmail-default", 0 } } },
        { "-", "x-default", V { { ".qmail-x-default", 2 }, { ".qmail-default", 0 } } },
    };
    for (auto const& c : cases) {
        INFO("dash '" << c.dash << "' ext '" << c.ext << "'");
        auto got = candidate_names(c.dash, c.ext);
        CHECK(got == c.want);
    }
}

TEST_CASE("find_dot_qmail picks the first existing candidate", "[local][dot_qmail]")
{
    TempDir home;
    test::InDirectory in(home.path());
    home.write(".qmail", "./Maildir/\n", 0600);
    home.write(".qmail-list-default", "|list\n", 0600);
    home.write(".qmail-default", "&catch@all\n", 0644);
    home.write(".qmail-exact:name", "&exact@x\n", 0600);
    REQUIRE(::mkdir(".qmail-dir", 0700) == 0);

    struct {
        std::string_view dash, ext, name;
        std::optional<std::string> default_part;
    } const cases[] = {
        { "", "", ".qmail", std::nullopt },
        { "-", "list-Foo-Bar", ".qmail-list-default", "Foo-Bar" },
        { "-", "LIST-x", ".qmail-list-default", "x" }, { "-", "other", ".qmail-default", "other" },
        { "-", "Exact.Name", ".qmail-exact:name", std::nullopt },
        { "-", "dir", ".qmail-default", "dir" }, // not a regular file: absent
    };
    for (auto const& c : cases) {
        INFO("ext " << c.ext);
        auto got = find_dot_qmail(c.dash, c.ext);
        REQUIRE(got.ok());
        REQUIRE(got->has_value());
        CHECK((*got)->name == c.name);
        CHECK((*got)->default_part == c.default_part);
        CHECK_FALSE((*got)->forward_only);
    }
}

TEST_CASE("find_dot_qmail: absent files, x bit, writable files", "[local][dot_qmail]")
{
    TempDir home;
    test::InDirectory in(home.path());
    auto none = find_dot_qmail("-", "nothing");
    REQUIRE(none.ok());
    CHECK_FALSE(none->has_value());

    home.write(".qmail-fwd", "&a@b\n", 0700);
    auto fwd = find_dot_qmail("-", "fwd");
    REQUIRE(fwd.ok());
    REQUIRE(fwd->has_value());
    CHECK((*fwd)->forward_only);
    CHECK((*fwd)->content == "&a@b\n");

    home.write(".qmail-open", "&a@b\n", 0646);
    auto open = find_dot_qmail("-", "open");
    REQUIRE_FALSE(open.ok());
    CHECK(open.failure().text == "Uh-oh: .qmail file is writable. (#4.7.0)");
    CHECK(open.failure().exit_code == 111);
}
