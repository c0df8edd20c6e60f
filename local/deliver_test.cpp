#include "deliver.hpp"

#include "test_helpers.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

using namespace local;
using mta::test::TempDir;

namespace {

Outcome<Args> parse(std::vector<char const*> argv)
{
    argv.insert(argv.begin(), "local");
    return parse_args(static_cast<int>(argv.size()), argv.data());
}

Recipient joe(std::string const& home, std::string const& dash, std::string const& ext)
{
    std::string local = "joe" + dash + ext;
    return { "joe", home, local, dash, ext, "x.org", "a@b", "./Maildir/\n" };
}

} // namespace

TEST_CASE("the command line is qmail-local's", "[local][deliver]")
{
    auto plain = parse({ "--", "joe", "/home/joe", "joe-x", "-", "x", "x.org", "a@b", "./M/" });
    REQUIRE(plain.ok());
    CHECK(plain->doit);
    CHECK(plain->recipient.user == "joe");
    CHECK(plain->recipient.home == "/home/joe");
    CHECK(plain->recipient.local == "joe-x");
    CHECK(plain->recipient.dash == "-");
    CHECK(plain->recipient.ext == "x");
    CHECK(plain->recipient.host == "x.org");
    CHECK(plain->recipient.sender == "a@b");
    CHECK(plain->recipient.default_delivery == "./M/");

    auto show = parse({ "-n", "joe", "/h", "joe", "", "", "x.org", "", "./M/" });
    REQUIRE(show.ok());
    CHECK_FALSE(show->doit);
    CHECK(show->recipient.dash.empty());
    CHECK(show->recipient.sender.empty());
    auto both = parse({ "-nN", "joe", "/h", "joe", "", "", "x.org", "", "./M/" });
    REQUIRE(both.ok());
    CHECK(both->doit);

    std::vector<std::vector<char const*>> const bad = {
        {},
        { "joe", "/h", "joe", "", "", "x.org", "" },
        { "joe", "/h", "joe", "", "", "x.org", "", "./M/", "extra" },
        { "-x", "joe", "/h", "joe", "", "", "x.org", "", "./M/" },
        { "joe", "relative", "joe", "", "", "x.org", "", "./M/" },
    };
    for (auto const& argv : bad) {
        auto got = parse(argv);
        REQUIRE_FALSE(got.ok());
        CHECK(got.failure().exit_code == 100);
        CHECK(got.failure().text.rfind("local: usage: local [-nN]", 0) == 0);
    }
}

TEST_CASE("home directory checks", "[local][deliver]")
{
    TempDir base;
    std::string const home = base.file("home");
    REQUIRE(::mkdir(home.c_str(), 0755) == 0);
    test::InDirectory keep(base.path());
    Recipient r = joe(home, "", "");
    auto ok = enter_home(r, true);
    REQUIRE(ok.ok());
    CHECK_FALSE(*ok);

    REQUIRE(::chmod(home.c_str(), 01755) == 0);
    auto sticky = enter_home(r, true);
    REQUIRE_FALSE(sticky.ok());
    CHECK(sticky.failure().text
        == "Home directory is sticky: user is editing his .qmail file. (#4.2.1)");
    auto sticky_n = enter_home(r, false);
    REQUIRE(sticky_n.ok());
    CHECK(*sticky_n); // a warning only

    REQUIRE(::chmod(home.c_str(), 0757) == 0);
    auto writable = enter_home(r, true);
    REQUIRE_FALSE(writable.ok());
    CHECK(writable.failure().text == "Uh-oh: home directory is writable. (#4.7.0)");

    auto missing = enter_home(joe(base.file("none"), "", ""), true);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.failure().exit_code == 111);
}

TEST_CASE("choose_instructions: .qmail, defaultdelivery, no mailbox", "[local][deliver]")
{
    TempDir home;
    test::InDirectory in(home.path());

    auto none = choose_instructions(joe(home.path(), "", ""));
    REQUIRE(none.ok());
    REQUIRE(none->instructions.size() == 1);
    CHECK(none->instructions[0].text == "./Maildir/");

    auto no_mailbox = choose_instructions(joe(home.path(), "-", "nothing"));
    REQUIRE_FALSE(no_mailbox.ok());
    CHECK(no_mailbox.failure().exit_code == 100);
    CHECK(no_mailbox.failure().text == "Sorry, no mailbox here by that name. (#5.1.1)");

    home.write(".qmail-empty", "", 0600);
    auto empty = choose_instructions(joe(home.path(), "-", "empty"));
    REQUIRE(empty.ok());
    REQUIRE(empty->instructions.size() == 1);
    CHECK(empty->instructions[0].kind == Kind::maildir);

    home.write(".qmail-list-default", "&a@b\n", 0600);
    home.write(".qmail-list-owner", "&o@b\n", 0600);
    home.write(".qmail-list", "&a@b\n", 0600);
    auto list = choose_instructions(joe(home.path(), "-", "list-Foo"));
    REQUIRE(list.ok());
    CHECK(list->default_part == std::optional<std::string>("Foo"));
    CHECK(list->new_sender == "a@b"); // .qmail-list-foo-owner does not exist
    auto owner = choose_instructions(joe(home.path(), "-", "list"));
    REQUIRE(owner.ok());
    CHECK(owner->new_sender == "joe-list-owner@x.org");
}

TEST_CASE("execute with -n describes each instruction", "[local][deliver]")
{
    Args args;
    args.doit = false;
    args.recipient = joe("/nonexistent", "", "");
    auto plan_lines = parse_dot_qmail("./Maildir/\n./Mailbox\n|cmd arg\n&a@b\nc@d\n", false);
    REQUIRE(plan_lines.ok());
    Plan plan;
    plan.instructions = *plan_lines;
    std::string said;
    auto counts = execute(args, added_lines(args.recipient, 0), plan, -1, said);
    REQUIRE(counts.ok());
    CHECK(
        said == "maildir ./Maildir/\nmbox ./Mailbox\nprogram cmd arg\nforward a@b\nforward c@d\n");
    CHECK(report(*counts) == "did 2+2+1\n");
}

TEST_CASE("a program exiting 99 skips the rest; a failing one stops", "[local][deliver]")
{
    TempDir home;
    test::InDirectory in(home.path());
    auto msg = test::message_fd(home, "x\n");
    Args args;
    args.recipient = joe(home.path(), "", "");
    struct {
        std::string_view qmail;
        int want_code; // 0: success
        std::string_view want_report;
    } const cases[] = {
        { "|echo 1 >> ran\n|exit 99\n|echo 3 >> ran\n", 0, "did 0+0+2\n" },
        { "|echo 1 >> ran\n|exit 100\n|echo 3 >> ran\n", 100, "" },
        { "|echo 1 >> ran\n|exit 111\n|echo 3 >> ran\n", 111, "" },
    };
    for (auto const& c : cases) {
        INFO(".qmail " << c.qmail);
        ::unlink("ran");
        auto parsed = parse_dot_qmail(c.qmail, false);
        REQUIRE(parsed.ok());
        Plan plan;
        plan.instructions = *parsed;
        std::string said;
        auto counts = execute(args, added_lines(args.recipient, 0), plan, msg.get(), said);
        CHECK(test::read_all(home.file("ran")) == "1\n");
        if (c.want_code == 0) {
            REQUIRE(counts.ok());
            CHECK(report(*counts) == c.want_report);
        } else {
            REQUIRE_FALSE(counts.ok());
            CHECK(counts.failure().exit_code == c.want_code);
        }
    }
}

TEST_CASE("reports and forward failures", "[local][deliver]")
{
    CHECK(report({ 1, 0, 0, 0 }) == "did 1+0+0\n");
    CHECK(report({ 0, 3, 1, 4242 }) == "did 0+3+1\nqp 4242\n");
    CHECK(forward_failed("Dbad (#5.3.0)").exit_code == 100);
    CHECK(forward_failed("Zbad (#4.3.0)").exit_code == 111);
    CHECK(forward_failed("").exit_code == 111);
}
