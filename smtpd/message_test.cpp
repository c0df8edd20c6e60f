#include "message.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace smtpd;

namespace {

char const* problem_name(Problem p)
{
    switch (p) {
    case Problem::none:
        return "none";
    case Problem::bare_lf:
        return "bare LF";
    case Problem::bare_cr:
        return "bare CR";
    case Problem::too_big:
        return "too big";
    case Problem::line_too_long:
        return "line too long";
    case Problem::too_many_hops:
        return "too many hops";
    }
    return "?";
}

struct Outcome {
    std::string stored;
    std::string problem;
    size_t consumed = 0;
    bool ended = false;
};

// Feeds input in pieces of step bytes (every split must give the same result).
Outcome run_filter(Framing framing, std::string const& input, size_t step, uint64_t max = 0)
{
    MessageFilter filter(framing, max);
    Outcome out;
    for (size_t at = 0; at < input.size() && !filter.ended(); at += step)
        out.consumed += filter.feed(std::string_view(input).substr(at, step), out.stored);
    if (framing == Framing::counted)
        filter.finish(out.stored);
    out.problem = problem_name(filter.problem());
    out.ended = filter.ended();
    return out;
}

} // namespace

TEST_CASE("smtpd message: DATA framing and stored form", "[smtpd][message]")
{
    struct Case {
        std::string wire;
        std::string stored; // when problem is "none"
        std::string problem;
        bool ended;
    };
    std::vector<Case> const cases {
        { "a\r\nb\r\n.\r\n", "a\nb\n", "none", true },
        { ".\r\n", "", "none", true },
        { "..x\r\n.y\r\n.\r\n", ".x\ny\n", "none", true },
        { "a\r\n.\r\nQUIT\r\n", "a\n", "none", true },
        { "a\nb\r\n.\r\n", "", "bare LF", true },
        { "a\r\n.\n", "", "bare LF", false },
        { "a\r\n.\nX\r\n.\r\n", "", "bare LF", true },
        { "a\rb\r\n.\r\n", "", "bare CR", true },
        { "a\r\n.\rX\r\n.\r\n", "", "bare CR", true },
        { "a\r\r\n.\r\n", "", "bare CR", true },
        { "a\r\n\n.\r\n", "", "bare LF", false },
        { "a\r\n\r\n.\r\n", "a\n\n", "none", true },
        { "a\r\n", "a\n", "none", false },
    };
    for (auto const& c : cases) {
        for (size_t step : { size_t { 1 }, size_t { 2 }, size_t { 3 }, size_t { 1000 } }) {
            INFO("wire: " << c.wire << " step " << step);
            Outcome got = run_filter(Framing::dot, c.wire, step);
            CHECK(got.problem == c.problem);
            CHECK(got.ended == c.ended);
            if (c.problem == "none")
                CHECK(got.stored == c.stored);
        }
    }
    // Nothing past the end is consumed: pipelined commands stay unread.
    MessageFilter filter(Framing::dot, 0);
    std::string out;
    CHECK(filter.feed("x\r\n.\r\nQUIT\r\n", out) == 6);
}

TEST_CASE("smtpd message: BDAT framing", "[smtpd][message]")
{
    CHECK(run_filter(Framing::counted, "a\r\n.b\r\n", 1).stored == "a\n.b\n");
    CHECK(run_filter(Framing::counted, "a\r\nb", 2).stored == "a\nb\n");
    CHECK(run_filter(Framing::counted, "a\r\n.\r\nc\r\n", 1000).stored == "a\n.\nc\n");
    CHECK(run_filter(Framing::counted, "a\nb\r\n", 1).problem == "bare LF");
    CHECK(run_filter(Framing::counted, "a\r", 1).problem == "bare CR");
    CHECK(run_filter(Framing::counted, "a\rb\r\n", 1).problem == "bare CR");
    CHECK(run_filter(Framing::counted, std::string("a\0b\r\n", 5), 1).stored
        == std::string("a\0b\n", 4));
}

TEST_CASE("smtpd message: limits", "[smtpd][message]")
{
    // max counts stored bytes: "abc\n" is 4.
    CHECK(run_filter(Framing::dot, "abc\r\n.\r\n", 1, 4).problem == "none");
    CHECK(run_filter(Framing::dot, "abcd\r\n.\r\n", 1, 4).problem == "too big");
    CHECK(run_filter(Framing::dot, "abcd\r\n.\r\n", 1, 4).ended);
    std::string const long_line(kMaxLineBytes, 'x');
    CHECK(run_filter(Framing::dot, long_line + "\r\n.\r\n", 4096).problem == "none");
    CHECK(run_filter(Framing::dot, long_line + "x\r\n.\r\n", 4096).problem == "line too long");
}

TEST_CASE("smtpd message: hop count", "[smtpd][message]")
{
    auto message = [](int received, int delivered, bool in_body) {
        std::string m;
        for (int i = 0; i < received; ++i)
            m += "Received: from x\r\n";
        if (in_body)
            m += "\r\n";
        for (int i = 0; i < delivered; ++i)
            m += "DELIVERED-TO: y\r\n";
        return m + "\r\nbody\r\n.\r\n";
    };
    CHECK(run_filter(Framing::dot, message(99, 0, false), 7).problem == "none");
    CHECK(run_filter(Framing::dot, message(100, 0, false), 7).problem == "too many hops");
    CHECK(run_filter(Framing::dot, message(50, 50, false), 7).problem == "too many hops");
    CHECK(run_filter(Framing::dot, message(50, 50, true), 7).problem == "none");
    MessageFilter filter(Framing::dot, 0);
    std::string out;
    filter.feed("received\r\nReceivedX: 1\r\ndelivere: 2\r\nDelivered-To: x\r\n\r\n.\r\n", out);
    CHECK(filter.hops() == 3);
}
