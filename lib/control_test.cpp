#include "control.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

using namespace mta;
using namespace mta::control;
using mta::test::TempDir;

namespace {

std::string error_text(Error const& e)
{
    return e.what;
}

} // namespace

TEST_CASE("parse_first_line takes the first line and strips trailing blanks", "[lib][control]")
{
    struct Case {
        std::string_view in;
        std::string_view want;
    };
    Case const cases[] = {
        { "", "" },
        { "\n", "" },
        { "mx.example.org", "mx.example.org" },
        { "mx.example.org\n", "mx.example.org" },
        { "mx.example.org\r\n", "mx.example.org" },
        { "mx.example.org \t \r\nsecond line\n", "mx.example.org" },
        { "  leading kept\n", "  leading kept" },
        { "inner  blanks kept  \n", "inner  blanks kept" },
        { " \t \n", "" },
        { "\nsecond\n", "" },
    };
    for (auto const& c : cases) {
        auto got = parse_first_line(c.in);
        INFO("input: \"" << c.in << "\"");
        REQUIRE(got.ok());
        CHECK(*got == c.want);
    }
}

TEST_CASE("parse_lines skips blanks and comments and trims items", "[lib][control]")
{
    struct Case {
        std::string_view in;
        std::vector<std::string> want;
    };
    Case const cases[] = {
        { "", {} },
        { "\n\n\n", {} },
        { "one", { "one" } },
        { "one\ntwo", { "one", "two" } },
        { "one\r\ntwo\r\n", { "one", "two" } },
        { "# a comment\none\n  # indented comment\ntwo # not a comment\n",
            { "one", "two # not a comment" } },
        { "  \t \n\r\n one \n\ttwo\t\n", { "one", "two" } },
        { "example.org\n.example.org\n", { "example.org", ".example.org" } },
    };
    for (auto const& c : cases) {
        auto got = parse_lines(c.in);
        INFO("input: \"" << c.in << "\"");
        REQUIRE(got.ok());
        CHECK(*got == c.want);
    }
}

TEST_CASE("parse_int accepts whole trimmed decimal integers only", "[lib][control]")
{
    struct Good {
        std::string_view in;
        long long want;
    };
    Good const good[] = {
        { "0", 0 },
        { "42", 42 },
        { " 42 ", 42 },
        { "\t42\r\n", 42 },
        { "-17", -17 },
        { "+17", 17 },
        { "007", 7 },
        { "9223372036854775807", 9223372036854775807LL },
        { "-9223372036854775808", -9223372036854775807LL - 1 },
    };
    for (auto const& c : good) {
        auto got = parse_int(c.in);
        INFO("input: \"" << c.in << "\"");
        REQUIRE(got.ok());
        CHECK(*got == c.want);
    }
    struct Bad {
        std::string_view in;
        std::string_view want;
    };
    Bad const bad[] = {
        { "", "not a number" },
        { "   ", "not a number" },
        { "-", "not a number" },
        { "+", "not a number" },
        { "+-5", "not a number" },
        { "--5", "not a number" },
        { "- 5", "not a number" },
        { "12k", "not a number" },
        { "1 000", "not a number" },
        { "0x10", "not a number" },
        { "1.5", "not a number" },
        { "abc", "not a number" },
        { "9223372036854775808", "number out of range" },
        { "-9223372036854775809", "number out of range" },
        { "99999999999999999999999999", "number out of range" },
    };
    for (auto const& c : bad) {
        auto got = parse_int(c.in);
        INFO("input: \"" << c.in << "\"");
        REQUIRE_FALSE(got.ok());
        CHECK(error_text(got.error()) == c.want);
        CHECK(got.error().errnum == 0);
    }
}

TEST_CASE("parse functions enforce the line and file limits", "[lib][control]")
{
    std::string const longest(kMaxLineBytes, 'a');
    std::string const too_long(kMaxLineBytes + 1, 'a');
    CHECK(parse_first_line(longest + "\n").ok());
    CHECK(parse_lines(longest).ok());
    CHECK(error_text(parse_first_line(too_long).error()) == "line too long");
    CHECK(error_text(parse_lines("ok\n" + too_long + "\n").error()) == "line too long");
    // A comment line is bounded like any other line.
    CHECK(error_text(parse_lines("#" + too_long).error()) == "line too long");
    std::string const huge(kMaxFileBytes + 1, '\n');
    CHECK(error_text(parse_lines(huge).error()) == "file too big");
}

TEST_CASE("read_line reads the first line of a control file", "[lib][control]")
{
    TempDir dir;
    REQUIRE_FALSE(dir.path().empty());
    CHECK(*read_line(dir.write("me", "mx.example.org\n")) == "mx.example.org");
    CHECK(*read_line(dir.write("crlf", "mx.example.org \r\nignored\n")) == "mx.example.org");
    CHECK(*read_line(dir.write("nolf", "mx.example.org")) == "mx.example.org");
    // qmail: an empty file is present with an empty value, not the default.
    auto empty = read_line(dir.write("empty", ""));
    REQUIRE(empty.ok());
    REQUIRE(empty->has_value());
    CHECK((*empty)->empty());
    // Only the first line is bounded: a long second line is never read.
    std::string const second(size_t { 1024 } * 1024, 'x');
    CHECK(*read_line(dir.write("long2", "short\n" + second)) == "short");
}

TEST_CASE("read_line: missing file is nullopt, unreadable file is an error", "[lib][control]")
{
    TempDir dir;
    auto missing = read_line(dir.file("nonexistent"));
    REQUIRE(missing.ok());
    CHECK_FALSE(missing->has_value());

    auto is_dir = read_line(dir.path());
    REQUIRE_FALSE(is_dir.ok());
    CHECK(is_dir.error().errnum == EISDIR);

    auto not_dir = read_line(dir.write("plain", "x") + "/below");
    REQUIRE_FALSE(not_dir.ok());
    CHECK(not_dir.error().errnum == ENOTDIR);

    if (::geteuid() != 0) { // root reads mode-0 files anyway
        std::string p = dir.write("secret", "x\n");
        REQUIRE(::chmod(p.c_str(), 0) == 0);
        auto denied = read_line(p);
        REQUIRE_FALSE(denied.ok());
        CHECK(denied.error().errnum == EACCES);
    }
}

TEST_CASE("read_line rejects a 1 MB line", "[lib][control]")
{
    TempDir dir;
    std::string const huge(size_t { 1024 } * 1024, 'x');
    auto got = read_line(dir.write("huge", huge + "\n"));
    REQUIRE_FALSE(got.ok());
    CHECK(error_text(got.error()) == "line too long");
    std::string const limit(kMaxLineBytes, 'y');
    CHECK(*read_line(dir.write("limit", limit)) == limit);
    CHECK(*read_line(dir.write("limitlf", limit + "\n")) == limit);
    CHECK_FALSE(read_line(dir.write("over", limit + "y")).ok());
}

TEST_CASE("read_lines reads list files", "[lib][control]")
{
    TempDir dir;
    auto got = read_lines(dir.write("rcpthosts",
        "# hosts we accept mail for\r\nexample.org\r\n\r\n  .example.org  \r\n"
        "   \t\nexample.net"));
    REQUIRE(got.ok());
    REQUIRE(got->has_value());
    CHECK(**got == std::vector<std::string> { "example.org", ".example.org", "example.net" });

    auto empty = read_lines(dir.write("empty", ""));
    REQUIRE(empty.ok());
    REQUIRE(empty->has_value());
    CHECK((*empty)->empty());

    auto missing = read_lines(dir.file("nonexistent"));
    REQUIRE(missing.ok());
    CHECK_FALSE(missing->has_value());

    auto is_dir = read_lines(dir.path());
    REQUIRE_FALSE(is_dir.ok());
    CHECK(is_dir.error().errnum == EISDIR);
}

TEST_CASE("read_lines enforces the limits", "[lib][control]")
{
    TempDir dir;
    std::string const huge(size_t { 1024 } * 1024, 'x');
    auto long_line = read_lines(dir.write("huge", "ok\n" + huge + "\nok\n"));
    REQUIRE_FALSE(long_line.ok());
    CHECK(error_text(long_line.error()) == "line too long");

    std::string big;
    while (big.size() <= kMaxFileBytes)
        big += "host.example.org\n";
    auto too_big = read_lines(dir.write("big", big));
    REQUIRE_FALSE(too_big.ok());
    CHECK(error_text(too_big.error()) == "file too big");
    CHECK(too_big.error().errnum == EFBIG);
}

TEST_CASE("read_int reads an integer control file", "[lib][control]")
{
    TempDir dir;
    CHECK(**read_int(dir.write("timeout", "1200\n")) == 1200);
    CHECK(**read_int(dir.write("spaces", "  1200 \r\n")) == 1200);
    CHECK(**read_int(dir.write("second", "20\nnot looked at\n")) == 20);
    CHECK(**read_int(dir.write("negative", "-1")) == -1);

    auto missing = read_int(dir.file("nonexistent"));
    REQUIRE(missing.ok());
    CHECK_FALSE(missing->has_value());

    auto empty = read_int(dir.write("empty", ""));
    REQUIRE_FALSE(empty.ok());
    CHECK(error_text(empty.error()) == "not a number");

    auto junk = read_int(dir.write("junk", "20 seconds\n"));
    REQUIRE_FALSE(junk.ok());
    CHECK(error_text(junk.error()) == "not a number");

    auto overflow = read_int(dir.write("overflow", "123456789012345678901234567890\n"));
    REQUIRE_FALSE(overflow.ok());
    CHECK(error_text(overflow.error()) == "number out of range");

    CHECK_FALSE(read_int(dir.path()).ok());
}
