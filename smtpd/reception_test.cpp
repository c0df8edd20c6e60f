#include "reception.hpp"

#include "fd.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

using namespace smtpd;
using mta::test::TempDir;

namespace {

// A queue client whose fake queue program stores the message in DIR/message.
mta::QueueClient fake_queue(TempDir const& dir)
{
    std::string const script = "#!/bin/sh\ncat > '" + dir.file("message") + "'\ncat >/dev/null\n";
    REQUIRE(::setenv("QMAILQUEUE", dir.write("fake-queue", script, 0755).c_str(), 1) == 0);
    auto queue = mta::QueueClient::open(dir.path());
    ::unsetenv("QMAILQUEUE");
    REQUIRE(queue.ok());
    return std::move(*queue);
}

std::string stored(TempDir const& dir, mta::QueueClient& queue)
{
    queue.from("a@example.org");
    queue.to("b@example.net");
    REQUIRE(queue.close().ok());
    auto text = mta::read_file(dir.file("message"), 1 << 20);
    REQUIRE(text.ok());
    return *text;
}

} // namespace

TEST_CASE("smtpd reception: replies", "[smtpd][reception]")
{
    struct Case {
        std::string_view text;
        std::string_view want;
    };
    Case const cases[] = {
        { "", "451 4.3.0 qq failure" },
        { "Zqq write error or disk full (#4.3.0)",
            "451 4.3.0 qq write error or disk full (#4.3.0)" },
        { "Dno such user (#5.1.1)", "554 5.1.1 no such user (#5.1.1)" },
        { "Dwrong class (#4.2.2)", "554 5.3.0 wrong class (#4.2.2)" },
        { "Zbad\x01text", "451 4.3.0 bad?text" },
    };
    for (auto const& c : cases) {
        INFO("text " << c.text);
        CHECK(queue_failure_reply(c.text) == c.want);
    }
    CHECK(problem_reply(Problem::none).empty());
    CHECK(problem_reply(Problem::too_big).rfind("552 5.3.4 ", 0) == 0);
    CHECK(problem_reply(Problem::line_too_long).find("65536") != std::string::npos);
}

TEST_CASE("smtpd reception: DATA and BDAT bytes to the queue", "[smtpd][reception]")
{
    TempDir dir;
    SECTION("DATA stops after CRLF.CRLF and leaves the next command unread")
    {
        auto input = mta::open_read(dir.write("input", "a\r\n..b\r\n.\r\nQUIT\r\n"));
        REQUIRE(input.ok());
        mta::Reader in(input->get());
        Reception reception(in);
        auto queue = fake_queue(dir);
        MessageFilter filter(Framing::dot, 0);
        REQUIRE(reception.read_data(queue, filter).ok());
        CHECK(stored(dir, queue) == "a\n.b\n");
        std::string rest;
        REQUIRE(in.get_line(rest, 100).ok());
        CHECK(rest == "QUIT\r");
    }
    SECTION("BDAT chunks, the last one finished")
    {
        auto input = mta::open_read(dir.write("input", "x\r\nyzNEXT"));
        REQUIRE(input.ok());
        mta::Reader in(input->get());
        Reception reception(in);
        auto queue = fake_queue(dir);
        MessageFilter filter(Framing::counted, 0);
        REQUIRE(reception.read_chunk(3, &queue, &filter).ok());
        REQUIRE(reception.read_chunk(2, &queue, &filter).ok());
        reception.finish_chunks(queue, filter);
        CHECK(stored(dir, queue) == "x\nyz\n");
    }
    SECTION("a chunk without a filter is skipped")
    {
        auto input = mta::open_read(dir.write("input", "12345NEXT"));
        REQUIRE(input.ok());
        mta::Reader in(input->get());
        Reception reception(in);
        REQUIRE(reception.read_chunk(5, nullptr, nullptr).ok());
        std::string rest;
        REQUIRE(in.get_line(rest, 100).ok());
        CHECK(rest == "NEXT");
    }
    SECTION("input that ends first is a plain Error")
    {
        auto input = mta::open_read(dir.write("input", "a\r\nb"));
        REQUIRE(input.ok());
        mta::Reader in(input->get());
        Reception reception(in);
        auto queue = fake_queue(dir);
        MessageFilter filter(Framing::dot, 0);
        auto st = reception.read_data(queue, filter);
        REQUIRE_FALSE(st.ok());
        CHECK(st.error().errnum == 0);
        CHECK_FALSE(reception.read_chunk(10, nullptr, nullptr).ok());
    }
}
