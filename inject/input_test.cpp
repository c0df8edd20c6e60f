#include "input.hpp"

#include "fd.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

using namespace inject;

namespace {

// Runs fn with a Reader over a pipe that a thread fills with input.
template <class Fn> void with_input(std::string const& input, Fn fn)
{
    auto pipe = mta::make_pipe();
    REQUIRE(pipe);
    std::thread writer([&] {
        (void)mta::write_all(pipe->write_end.get(), input);
        (void)pipe->write_end.close();
    });
    mta::Reader in(pipe->read_end.get());
    fn(in);
    writer.join();
}

struct Parsed {
    std::vector<std::string> fields;
    std::vector<std::size_t> lines;
    HeaderEnd end = HeaderEnd::end_of_input;
    std::string body; // copy_body's output
};

Parsed parse(std::string const& input, std::size_t max = kMaxHeaderBytes)
{
    Parsed p;
    with_input(input, [&](mta::Reader& in) {
        auto header = read_header(in, max);
        REQUIRE(header);
        for (auto const& f : header->fields) {
            p.fields.push_back(f.text);
            p.lines.push_back(f.line);
        }
        p.end = header->end;
        REQUIRE(copy_body(*header, in, [&](std::string_view s) { p.body += s; }));
    });
    return p;
}

using V = std::vector<std::string>;

} // namespace

TEST_CASE("read_header splits header and body like qmail's headerbody", "[inject][input]")
{
    struct Case {
        std::string input;
        V fields;
        HeaderEnd end;
        std::string body;
    };
    std::vector<Case> const cases = {
        { "", {}, HeaderEnd::end_of_input, "" },
        { "Subject: a\n\nbody\n", { "Subject: a\n" }, HeaderEnd::blank_line, "\nbody\n" },
        { "Subject: a\r\nTo: b\r\n\r\nl1\r\nl2\r\n", { "Subject: a\n", "To: b\n" },
            HeaderEnd::blank_line, "\nl1\nl2\n" },
        { "Subject: a\n folded\n\tagain\n\nb", { "Subject: a\n folded\n\tagain\n" },
            HeaderEnd::blank_line, "\nb\n" },
        { "Subject: no body\n", { "Subject: no body\n" }, HeaderEnd::end_of_input, "" },
        { "Subject: no newline", { "Subject: no newline\n" }, HeaderEnd::end_of_input, "" },
        { "\nonly body\n", {}, HeaderEnd::blank_line, "\nonly body\n" },
        { "no header here\nx: y\n", {}, HeaderEnd::body_line, "\nno header here\nx: y\n" },
        { "Backup failed: disk full\n", {}, HeaderEnd::body_line, "\nBackup failed: disk full\n" },
        { " starts with space\n", {}, HeaderEnd::body_line, "\n starts with space\n" },
        { "Subject: a\nplain text\n", { "Subject: a\n" }, HeaderEnd::body_line, "\nplain text\n" },
        { "Subject: a\nBad Name: x\n\n", { "Subject: a\n", "Bad Name: x\n" }, HeaderEnd::blank_line,
            "\n" },
        { "From joe Thu Mar 7\nSubject: a\n\n",
            { "MBOX-Line: From joe Thu Mar 7\n", "Subject: a\n" }, HeaderEnd::blank_line, "\n" },
        { std::string("Subject: \xe9t\xe9\n\n\xff\x00\x80\n", 18), { "Subject: \xe9t\xe9\n" },
            HeaderEnd::blank_line, std::string("\n\xff\x00\x80\n", 5) },
        { "S: a\n\nlone\rcr\r\r\nend\r", { "S: a\n" }, HeaderEnd::blank_line,
            "\nlone\rcr\r\nend\r\n" },
    };
    for (auto const& c : cases) {
        INFO("input: " << c.input);
        auto p = parse(c.input);
        CHECK(p.fields == c.fields);
        CHECK(p.end == c.end);
        CHECK(p.body == c.body);
    }
}

TEST_CASE("read_header numbers each field's first line", "[inject][input]")
{
    auto p = parse("A: 1\n continued\nB: 2\r\nC: 3\n\nbody\n");
    CHECK(p.lines == std::vector<std::size_t> { 1, 3, 4 });
}

TEST_CASE("read_header refuses a header over its limit", "[inject][input]")
{
    std::string big = "Subject: " + std::string(200, 'x') + "\n\nbody\n";
    with_input(big, [](mta::Reader& in) {
        auto header = read_header(in, 100);
        REQUIRE(!header);
        CHECK(std::string(header.error().what) == "header too long");
    });
    CHECK(parse(big, 210).fields.size() == 1);
}

TEST_CASE("copy_body streams a big body with CRLF turned into LF", "[inject][input]")
{
    std::string body;
    std::string want;
    for (int i = 0; i < 20000; ++i) {
        body += "line " + std::to_string(i) + "\r\n";
        want += "line " + std::to_string(i) + "\n";
    }
    std::size_t biggest = 0;
    std::string got;
    with_input("S: x\n\n" + body, [&](mta::Reader& in) {
        auto header = read_header(in);
        REQUIRE(header);
        REQUIRE(copy_body(*header, in, [&](std::string_view s) {
            biggest = std::max(biggest, s.size());
            got += s;
        }));
    });
    CHECK(got == "\n" + want);
    CHECK(biggest <= mta::kBufferSize + 1);
}

TEST_CASE("BodyFilter handles a CR cut from its LF", "[inject][input]")
{
    BodyFilter filter;
    char out[8];
    std::string got;
    got.append(out, filter.convert("a\r", out));
    got.append(out, filter.convert("\nb\r", out));
    got.append(out, filter.convert("c", out));
    got.append(out, filter.finish(out));
    CHECK(got == "a\nb\rc\n");
    BodyFilter empty;
    CHECK(empty.finish(out) == 0);
}
