#include "assign.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace mta;
using mta::test::TempDir;

namespace {

using namespace std::string_literals;

// The example of qmail-users(5), with a real home for the catch-all.
std::string const kExample = "+:alias:7790:2108:/var/alias:-::\n"
                             "+joe-:joe:507:100:/home/joe:-::\n"
                             "=joe:joe:507:100:/home/joe:::\n"
                             ".\n";

assign::Parsed must_parse(std::string const& text)
{
    auto parsed = assign::parse(text);
    INFO("line " << parsed.line << ": " << (parsed.problem ? parsed.problem : ""));
    REQUIRE(parsed.ok());
    return parsed;
}

Cdb build(TempDir const& dir, std::string const& text)
{
    auto parsed = must_parse(text);
    REQUIRE(assign::write_cdb(dir.file("cdb"), parsed.entries).ok());
    auto db = Cdb::open(dir.file("cdb"));
    REQUIRE(db.ok());
    return std::move(*db);
}

Delivery must_find(Cdb& db, std::string_view local)
{
    auto hit = assign::lookup(db, local);
    REQUIRE(hit.ok());
    INFO("local " << local);
    REQUIRE(hit->has_value());
    return **hit;
}

} // namespace

TEST_CASE("assign: entries parse into their fields", "[lib][assign]")
{
    auto parsed = must_parse("=Joe.Shmoe:joe:503:78:/home/joe:::\r\n"
                             "+list-:lists:1001:1002:/srv/lists:-:x-:\n"
                             "+:msalias:999:998:/var/mail-suite/alias:-::\n"
                             ".\n\n  \r\n");
    REQUIRE(parsed.entries.size() == 3);
    auto const& joe = parsed.entries[0];
    CHECK_FALSE(joe.wildcard);
    CHECK(joe.local == "Joe.Shmoe");
    CHECK(joe.delivery.user == "joe");
    CHECK(joe.delivery.uid == 503);
    CHECK(joe.delivery.gid == 78);
    CHECK(joe.delivery.home == "/home/joe");
    CHECK(joe.delivery.dash.empty());
    CHECK(joe.delivery.ext.empty());
    CHECK(joe.line == 1);
    auto const& list = parsed.entries[1];
    CHECK(list.wildcard);
    CHECK(list.local == "list-");
    CHECK(list.delivery.dash == "-");
    CHECK(list.delivery.ext == "x-");
    CHECK(parsed.entries[2].local.empty());
    CHECK(parsed.entries[2].line == 3);

    CHECK(assign::parse(".").ok());
    CHECK(assign::parse(".\r\n").ok());
    CHECK(assign::parse(".\n").entries.empty());
    CHECK(assign::parse("=a:u:4294967294:4294967294:/h:::\n.\n").ok());
}

TEST_CASE("assign: every malformed line is named with its problem", "[lib][assign]")
{
    std::string const good = "=joe:joe:507:100:/home/joe:::\n";
    struct Case {
        std::string text;
        size_t line;
        std::string problem;
    };
    std::vector<Case> const cases = {
        { "", 1, "missing the final \".\" line" },
        { good, 2, "missing the final \".\" line" },
        { good + good.substr(0, good.size() - 1), 3, "missing the final \".\" line" },
        { good + "\n.\n", 2,
            "empty line (users/assign has no blank lines; it ends with a \".\" line)" },
        { "\r\n.\n", 1, "empty line (users/assign has no blank lines; it ends with a \".\" line)" },
        { "# users\n" + good + ".\n", 1, "comment line (users/assign has no comments)" },
        { good + ".end\n", 2, "the end line must be a single \".\"" },
        { good + ". \n", 2, "the end line must be a single \".\"" },
        { "joe:joe:507:100:/home/joe:::\n.\n", 1,
            "line starts with neither \"=\" (an address) nor \"+\" (a prefix)" },
        { " =joe:joe:507:100:/home/joe:::\n.\n", 1,
            "line starts with neither \"=\" (an address) nor \"+\" (a prefix)" },
        { "=joe:joe:507:100:/home/joe::\n.\n", 1, "missing the final \":\"" },
        { "=joe:joe:507:100:/home/joe:\n.\n", 1,
            "missing fields: want =local:user:uid:gid:homedir:dash:ext:" },
        { "+joe-:joe:507\n.\n", 1, "missing fields: want +prefix:user:uid:gid:homedir:dash:pre:" },
        { "=joe\n.\n", 1, "missing fields: want =local:user:uid:gid:homedir:dash:ext:" },
        { "=joe:joe:507:100:/home/joe:::x\n.\n", 1, "text after the final \":\"" },
        { "=joe:joe:507:100:/home/joe::::\n.\n", 1, "too many fields (a field cannot hold \":\")" },
        { "=:joe:507:100:/home/joe:::\n.\n", 1, "empty address after \"=\"" },
        { "=joe::507:100:/home/joe:::\n.\n", 1, "empty user name" },
        { "=joe:joe::100:/home/joe:::\n.\n", 1, "uid is not a decimal number" },
        { "=joe:joe:5o7:100:/home/joe:::\n.\n", 1, "uid is not a decimal number" },
        { "=joe:joe:-1:100:/home/joe:::\n.\n", 1, "uid is not a decimal number" },
        { "=joe:joe: 507:100:/home/joe:::\n.\n", 1, "uid is not a decimal number" },
        { "=joe:joe:4294967295:100:/home/joe:::\n.\n", 1, "uid out of range" },
        { "=joe:joe:99999999999999999999999:100:/home/joe:::\n.\n", 1, "uid out of range" },
        { "=joe:joe:0:100:/home/joe:::\n.\n", 1,
            "uid 0 is not allowed (lspawn never delivers as root)" },
        { "=joe:joe:000:100:/home/joe:::\n.\n", 1,
            "uid 0 is not allowed (lspawn never delivers as root)" },
        { "=joe:joe:507:x:/home/joe:::\n.\n", 1, "gid is not a decimal number" },
        { "=joe:joe:507:4294967296:/home/joe:::\n.\n", 1, "gid out of range" },
        { "=joe:joe:507:100::::\n.\n", 1, "home directory is not an absolute path" },
        { "=joe:joe:507:100:home/joe:::\n.\n", 1, "home directory is not an absolute path" },
        { "=joe:joe:507:100:/home/joe:--::\n.\n", 1, "dash is neither empty nor \"-\"" },
        { "=joe:joe:507:100:/home/joe:+::\n.\n", 1, "dash is neither empty nor \"-\"" },
        { "=jo\0e:joe:507:100:/home/joe:::\n.\n"s, 1, "NUL byte in line" },
        { "=joe:joe:507:100:/home/joe:::" + std::string(8200, 'x') + ":\n.\n", 1,
            "line too long (the limit is 8192 bytes)" },
        { good + ".\n" + good, 3, "text after the final \".\" line (it would be ignored)" },
        { good + ".\n\n\n#note\n", 5, "text after the final \".\" line (it would be ignored)" },
        { good + good + "=x:x:1:1:/x:-:\n.\n", 3, "missing the final \":\"" },
    };
    for (auto const& c : cases) {
        auto parsed = assign::parse(c.text);
        INFO("input: " << c.text.substr(0, 80));
        REQUIRE_FALSE(parsed.ok());
        CHECK(parsed.line == c.line);
        CHECK(std::string(parsed.problem) == c.problem);
    }
}

TEST_CASE("assign: cdb records are qmail-newu's bytes", "[lib][assign]")
{
    auto parsed = must_parse("=Joe.Shmoe:joe:0503:78:/home/joe:::\n"
                             "+List-:lists:1001:1002:/srv/lists:-:x-:\n"
                             "+ABC:abc:1:2:/abc:-::\n"
                             "+x-:x:1:2:/x:-::\n"
                             "+:alias:7790:2108:/var/alias:-::\n"
                             ".\n");
    auto records = assign::cdb_records(parsed.entries);
    REQUIRE(records.size() == 6);
    CHECK(records[0].first == "!joe.shmoe\0"s);
    CHECK(records[0].second
        == "joe\0"
           "503\0"
           "78\0/home/joe\0\0"s);
    CHECK(records[1].first == "!list-");
    CHECK(records[1].second
        == "lists\0"
           "1001\0"
           "1002\0/srv/lists\0-\0x-"s);
    CHECK(records[2].first == "!abc");
    CHECK(records[4].first == "!");
    CHECK(records[5].first.empty());
    CHECK(records[5].second == "-c"); // distinct, lowercased, the empty prefix adds none
    CHECK(assign::wildchars({}).empty());
}

TEST_CASE("assign: lookup follows qmail-users(5)", "[lib][assign]")
{
    TempDir dir;
    auto db = build(dir, kExample);

    auto joe = must_find(db, "joe");
    CHECK(joe.user == "joe");
    CHECK(joe.uid == 507);
    CHECK(joe.gid == 100);
    CHECK(joe.home == "/home/joe");
    CHECK(joe.dash.empty());
    CHECK(joe.ext.empty());
    CHECK(must_find(db, "JOE").dash.empty()); // exact beats every wildcard, any case

    auto direct = must_find(db, "Joe-Direct");
    CHECK(direct.user == "joe");
    CHECK(direct.dash == "-");
    CHECK(direct.ext == "Direct"); // the rest keeps its case
    CHECK(must_find(db, "joe-").ext.empty()); // the prefix itself

    auto bill = must_find(db, "Bill");
    CHECK(bill.user == "alias");
    CHECK(bill.uid == 7790);
    CHECK(bill.home == "/var/alias");
    CHECK(bill.ext == "Bill");
    CHECK(must_find(db, "joex").user == "alias"); // "joe" is exact only
    CHECK(must_find(db, "").user == "alias");
}

TEST_CASE("assign: longer prefixes win, pre is prepended, first duplicate wins", "[lib][assign]")
{
    TempDir dir;
    auto db = build(dir,
        "+dom.example-:vmail:1002:1003:/srv/dom:-:d-:\n"
        "+dom.example-sales-:vmail:1002:1003:/srv/sales:-:s-:\n"
        "+abc:abc:10:10:/abc:-::\n"
        "=dup:first:11:11:/first:::\n"
        "=DUP:second:12:12:/second:::\n"
        ".\n");
    auto sales = must_find(db, "dom.example-Sales-Bob");
    CHECK(sales.home == "/srv/sales");
    CHECK(sales.ext == "s-Bob");
    auto other = must_find(db, "dom.example-bob");
    CHECK(other.home == "/srv/dom");
    CHECK(other.ext == "d-bob");
    CHECK(must_find(db, "abcdef").ext == "def"); // a prefix ending in a letter
    CHECK(must_find(db, "dup").user == "first");
    auto none = assign::lookup(db, "nobody");
    REQUIRE(none.ok());
    CHECK_FALSE(none->has_value()); // no catch-all in this table

    auto parsed = must_parse("=dup:a:1:1:/a:::\n+p-:b:1:1:/b:-::\n=Dup:c:1:1:/c:::\n"
                             "+P-:d:1:1:/d:-::\n=p-:e:1:1:/e:::\n.\n");
    auto dups = assign::shadowed(parsed.entries);
    REQUIRE(dups.size() == 2);
    CHECK(dups[0] == std::pair<size_t, size_t>(1, 3));
    CHECK(dups[1] == std::pair<size_t, size_t>(2, 4));
}

TEST_CASE("assign: a table newu did not write is an error, not a guess", "[lib][assign]")
{
    TempDir dir;
    auto write = [&](std::vector<std::pair<std::string, std::string>> const& records) {
        auto w = CdbWriter::create(dir.file("cdb"));
        REQUIRE(w.ok());
        for (auto const& [k, v] : records)
            REQUIRE(w->add(k, v).ok());
        REQUIRE(w->commit().ok());
        auto db = Cdb::open(dir.file("cdb"));
        REQUIRE(db.ok());
        return std::move(*db);
    };
    auto no_wild = write({ { "!joe\0"s,
        "joe\0"
        "1\0"
        "1\0/h\0\0"s } });
    auto r = assign::lookup(no_wild, "joe");
    REQUIRE_FALSE(r.ok());
    CHECK(std::string(r.error().what) == "users/cdb has no wildcard record");

    auto bad = write({ { "", "" },
        { "!joe\0"s,
            "joe\0"
            "x\0"
            "1\0/h\0\0"s } });
    r = assign::lookup(bad, "joe");
    REQUIRE_FALSE(r.ok());
    CHECK(std::string(r.error().what) == "malformed users/cdb record");

    for (auto const& value : { "joe\0"
                               "1\0"
                               "1\0/h\0"s,
             "joe\0"
             "1\0"
             "1\0/h\0\0\0"s,
             ""s,
             "joe\0"
             "99999999999\0"
             "1\0/h\0\0"s }) {
        CHECK_FALSE(assign::decode(value).ok());
    }
    auto good = assign::decode("joe\0"
                               "1\0"
                               "2\0/h\0-\0e"s);
    REQUIRE(good.ok());
    CHECK(good->ext == "e");
}
