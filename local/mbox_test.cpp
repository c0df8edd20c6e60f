#include "mbox.hpp"

#include "test_helpers.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace local;
using mta::test::TempDir;

namespace {

std::string quote_whole(std::string_view in)
{
    FromQuoter q;
    std::string out;
    q.feed(in, out);
    q.finish(out);
    return out;
}

std::string quote_bytewise(std::string_view in)
{
    FromQuoter q;
    std::string out;
    for (char c : in)
        q.feed(std::string_view(&c, 1), out);
    q.finish(out);
    return out;
}

} // namespace

TEST_CASE("From_ quoting adds '>' before lines matching ^>*From ", "[local][mbox]")
{
    struct {
        std::string_view in, want;
    } const cases[] = {
        { "", "" },
        { "a\n", "a\n" },
        { "From me\n", ">From me\n" },
        { ">From me\n", ">>From me\n" },
        { ">>>From x\n", ">>>>From x\n" },
        { "From\n", "From\n" },
        { "Fromage\n", "Fromage\n" },
        { " From x\n", " From x\n" },
        { "x\nFrom y\nFrom z\n", "x\n>From y\n>From z\n" },
        { "a From b\n", "a From b\n" },
        { ">\n>>\n", ">\n>>\n" },
        { ">Fro\n", ">Fro\n" },
        { "no final newline", "no final newline\n" },
        { "From ", ">From \n" },
        { ">>", ">>\n" },
        { "Fr", "Fr\n" },
        { "\n\nFrom x", "\n\n>From x\n" },
        { "from x\n", "from x\n" },
    };
    for (auto const& c : cases) {
        INFO("input '" << c.in << "'");
        CHECK(quote_whole(c.in) == c.want);
        CHECK(quote_bytewise(c.in) == c.want);
    }
}

TEST_CASE("mbox delivery appends an mboxrd message and a blank line", "[local][mbox]")
{
    TempDir dir;
    test::InDirectory in(dir.path());
    auto msg = test::message_fd(dir, "Subject: hi\n\nFrom the start\nend");
    std::string const uf = "From a@b Thu Jan 01 00:00:00 1970\n";
    std::string const head = "Return-Path: <a@b>\nDelivered-To: joe@x\n";
    REQUIRE_FALSE(deliver_mbox("./Mailbox", uf, head, msg.get(), 5));
    REQUIRE_FALSE(deliver_mbox("./Mailbox", uf, head, msg.get(), 5));
    std::string const one = uf + head + "Subject: hi\n\n>From the start\nend\n\n";
    CHECK(test::read_all(dir.file("Mailbox")) == one + one);
    struct stat st;
    REQUIRE(::stat(dir.file("Mailbox").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("mbox delivery refuses unsafe mailboxes, temporarily", "[local][mbox]")
{
    TempDir dir;
    test::InDirectory in(dir.path());
    auto msg = test::message_fd(dir, "x\n");
    dir.write("target", "");
    REQUIRE(::symlink("target", "link") == 0);
    dir.write("open", "", 0666);

    auto link = deliver_mbox("./link", "From x\n", "", msg.get(), 5);
    REQUIRE(link);
    CHECK(link->exit_code == 111);
    CHECK(link->text == "Unable to open ./link: is a symbolic link. (#4.2.1)");
    auto open = deliver_mbox("./open", "From x\n", "", msg.get(), 5);
    REQUIRE(open);
    CHECK(open->text == "Unable to open ./open: is writable by others. (#4.2.1)");
    auto missing_dir = deliver_mbox("./nodir/box", "From x\n", "", msg.get(), 5);
    REQUIRE(missing_dir);
    CHECK(missing_dir->exit_code == 111);
}

TEST_CASE("a mailbox locked too long is a temporary failure", "[local][mbox]")
{
    TempDir dir;
    test::InDirectory in(dir.path());
    auto msg = test::message_fd(dir, "x\n");
    auto box = dir.write("Mailbox", "old\n", 0600);
    mta::Fd holder(::open(box.c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(holder.valid());
    REQUIRE(::flock(holder.get(), LOCK_EX) == 0);
    auto got = deliver_mbox("./Mailbox", "From x\n", "", msg.get(), 1);
    REQUIRE(got);
    CHECK(got->exit_code == 111);
    CHECK(got->text == "File has been locked for 30 seconds straight. (#4.3.0)");
    CHECK(test::read_all(box) == "old\n");
}

TEST_CASE("a failed mbox delivery truncates the mailbox back", "[local][mbox]")
{
    TempDir dir;
    test::InDirectory in(dir.path());
    auto box = dir.write("Mailbox", "old message\n\n", 0600);
    // A directory opens and seeks but cannot be read: the copy fails midway.
    mta::Fd not_a_file(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(not_a_file.valid());
    auto got = deliver_mbox("./Mailbox", "From x\n", "Return-Path: <>\n", not_a_file.get(), 5);
    REQUIRE(got);
    CHECK(got->exit_code == 111);
    CHECK(got->text == "Unable to read message: Is a directory. (#4.3.0)");
    CHECK(test::read_all(box) == "old message\n\n");
}
