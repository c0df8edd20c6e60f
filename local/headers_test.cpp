#include "headers.hpp"

#include "test_helpers.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>

using namespace local;
using mta::test::TempDir;

TEST_CASE("Return-Path lines quote the local part when needed", "[local][headers]")
{
    struct {
        std::string_view sender, want;
    } const cases[] = {
        { "joe@example.org", "Return-Path: <joe@example.org>\n" },
        { "", "Return-Path: <>\n" },
        { "#@[]", "Return-Path: <#@[]>\n" },
        { "john doe@example.org", "Return-Path: <\"john doe\"@example.org>\n" },
        { "a\"b@x", "Return-Path: <\"a\\\"b\"@x>\n" },
        { "noat", "Return-Path: <noat>\n" },
        { "a..b@x", "Return-Path: <\"a..b\"@x>\n" },
        // The last '@' splits, so a VERP form is quoted, as qmail's quote2 does.
        { "list-owner-@lists.example-@[]", "Return-Path: <\"list-owner-@lists.example-\"@[]>\n" },
        { "a\nb@x", "Return-Path: <\"a_b\"@x>\n" },
    };
    for (auto const& c : cases) {
        INFO("sender " << c.sender);
        CHECK(return_path_line(c.sender) == c.want);
    }
}

TEST_CASE("Delivered-To lines name local@host on one line", "[local][headers]")
{
    CHECK(delivered_to_line("joe", "example.org") == "Delivered-To: joe@example.org\n");
    CHECK(delivered_to_line("joe-List", "Example.org") == "Delivered-To: joe-List@Example.org\n");
    CHECK(delivered_to_line("a\nb", "x") == "Delivered-To: a_b@x\n");
}

TEST_CASE("mbox dates are ctime-style UTC", "[local][headers]")
{
    struct {
        time_t when;
        std::string_view want;
    } const cases[] = {
        { 0, "Thu Jan 01 00:00:00 1970" },
        { 1709802301, "Thu Mar 07 09:05:01 2024" },
        { 951782400, "Tue Feb 29 00:00:00 2000" },
        { 4102444799, "Thu Dec 31 23:59:59 2099" },
    };
    for (auto const& c : cases) {
        INFO("time " << c.when);
        CHECK(mbox_date(c.when) == c.want);
    }
}

TEST_CASE("From_ lines make the sender one word", "[local][headers]")
{
    CHECK(from_line("joe@example.org", 0) == "From joe@example.org Thu Jan 01 00:00:00 1970\n");
    CHECK(from_line("", 0) == "From MAILER-DAEMON Thu Jan 01 00:00:00 1970\n");
    CHECK(from_line("a b\tc\nd@x", 0) == "From a-b-c-d@x Thu Jan 01 00:00:00 1970\n");
}

TEST_CASE("the loop check looks for our exact line in the header only", "[local][headers]")
{
    std::string const dt = "Delivered-To: joe@example.org\n";
    struct {
        std::string message;
        bool want;
    } const cases[] = {
        { "Delivered-To: joe@example.org\nSubject: x\n\nbody\n", true },
        { "Subject: x\nDelivered-To: joe@example.org\n\nbody\n", true },
        { "Subject: x\n\nDelivered-To: joe@example.org\n", false }, // in the body
        { "Delivered-To: JOE@example.org\n\n", false }, // case matters, as in qmail
        { "Delivered-To: joe@example.org \n\n", false },
        { "Delivered-To: joe@example.org.uk\n\n", false },
        { "Delivered-To: joe@example.org", false }, // no LF: not the same line
        { "X-Long: " + std::string(100000, 'x') + "\nDelivered-To: joe@example.org\n\n", true },
        { "", false },
        { "\nDelivered-To: joe@example.org\n", false },
    };
    for (auto const& c : cases) {
        INFO("message " << c.message.substr(0, 60));
        TempDir dir;
        auto fd = test::message_fd(dir, c.message);
        auto got = has_line_in_header(fd.get(), dt);
        REQUIRE(got.ok());
        CHECK(*got == c.want);
    }
}

TEST_CASE("the loop check needs a seekable message", "[local][headers]")
{
    auto pipe = mta::make_pipe();
    REQUIRE(pipe.ok());
    auto got = has_line_in_header(pipe->read_end.get(), "Delivered-To: a@b\n");
    REQUIRE_FALSE(got.ok());
    CHECK(got.failure().exit_code == 111);
    CHECK(got.failure().text.rfind("Unable to rewind message: standard input is not", 0) == 0);
}
