#include "maildir.hpp"

#include "test_helpers.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

using namespace local;
using mta::test::TempDir;

TEST_CASE("Maildir delivery stores head and message unchanged", "[local][maildir]")
{
    TempDir dir;
    test::InDirectory in(dir.path());
    for (char const* d : { "Maildir", "Maildir/tmp", "Maildir/new", "Maildir/cur" })
        REQUIRE(::mkdir(d, 0700) == 0);
    std::string const message = "Subject: x\n\nFrom here\nno newline";
    auto msg = test::message_fd(dir, message);
    std::string const head = "Return-Path: <a@b>\nDelivered-To: joe@x\n";
    REQUIRE_FALSE(deliver_maildir("./Maildir/", head, msg.get()));
    REQUIRE_FALSE(deliver_maildir("./Maildir/", head, msg.get())); // rewinds
    auto names = mta::list_directory("Maildir/new");
    REQUIRE(names.ok());
    REQUIRE(names->size() == 2);
    for (auto const& name : *names)
        CHECK(test::read_all("Maildir/new/" + name) == head + message);
    auto tmp = mta::list_directory("Maildir/tmp");
    REQUIRE(tmp.ok());
    CHECK(tmp->empty());
}

TEST_CASE("Maildir delivery failures are temporary", "[local][maildir]")
{
    TempDir dir;
    test::InDirectory in(dir.path());
    auto msg = test::message_fd(dir, "x\n");
    auto missing = deliver_maildir("./Maildir/", "", msg.get());
    REQUIRE(missing);
    CHECK(missing->exit_code == 111);
    CHECK(missing->text == "Unable to chdir to maildir. (#4.2.1)");

    REQUIRE(::mkdir("Half", 0700) == 0);
    auto half = deliver_maildir("./Half/", "", msg.get());
    REQUIRE(half);
    CHECK(half->exit_code == 111);
    CHECK(half->text
        == "Temporary error on maildir delivery to ./Half/: unable to create file in tmp: No "
           "such file or directory. (#4.3.0)");

    auto pipe = mta::make_pipe();
    REQUIRE(pipe.ok());
    auto unseekable = deliver_maildir("./Half/", "", pipe->read_end.get());
    REQUIRE(unseekable);
    CHECK(unseekable->exit_code == 111);
}
