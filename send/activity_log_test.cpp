#include "activity_log.hpp"

#include "fd.hpp"

#include <catch2/catch.hpp>
#include <unistd.h>

TEST_CASE("activity log: texts are made safe as qmail's logsafe", "[send][log]")
{
    struct Case {
        std::string in;
        const char* want;
    };
    Case const cases[] = {
        { "did 0+0+1\n", "did_0+0+1/" },
        { "bob@example.org", "bob@example.org" },
        { "a%b@c", "a_b@c" },
        { "tab\there", "tab_here" },
        { "line1\nline2\n", "line1/line2/" },
        { "\x1b[31mred", "_[31mred" },
        { "caf\xc3\xa9", "caf__" },
        { "del\x7f", "del_" },
        { "", "" },
        { "~!\"#$&'()*+,-./:;<=>?@[\\]^_`{|}", "~!\"#$&'()*+,-./:;<=>?@[\\]^_`{|}" },
    };
    for (auto const& c : cases) {
        INFO(c.in);
        CHECK(send::log_safe(c.in) == c.want);
    }
}

TEST_CASE("activity log: lines are written by flush", "[send][log]")
{
    auto p = mta::make_pipe();
    REQUIRE(p.ok());
    send::ActivityLog log(p->write_end.get());
    log.line("new msg 12");
    log.line("end msg 12");
    char buf[100];
    REQUIRE(mta::set_nonblocking(p->read_end.get(), true).ok());
    CHECK(::read(p->read_end.get(), buf, sizeof buf) == -1); // nothing yet
    log.flush();
    ssize_t n = ::read(p->read_end.get(), buf, sizeof buf);
    REQUIRE(n > 0);
    CHECK(std::string(buf, static_cast<size_t>(n)) == "new msg 12\nend msg 12\n");
    log.flush(); // nothing more
    CHECK(::read(p->read_end.get(), buf, sizeof buf) == -1);
}
