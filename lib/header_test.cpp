#include "header.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace mta;
using namespace std::literals;

namespace {

// What a HeaderReader saw: "name=raw_value" per field, and how the header ended.
struct Walk {
    std::vector<std::string> fields;
    HeaderEnd end = HeaderEnd::kNotEnded;
    std::size_t body_offset = 0;
    std::size_t end_line = 0;
    std::string error; // "" when status() is OK
};

Walk walk(std::string_view message, HeaderLimits limits = {})
{
    HeaderReader reader(message, limits);
    Walk out;
    while (auto field = reader.next()) {
        out.fields.push_back(std::string(field->name) + "=" + std::string(field->raw_value));
        CHECK(message.substr(field->offset, field->length).starts_with(field->name));
    }
    CHECK_FALSE(reader.next().has_value()); // stays ended
    out.end = reader.end();
    out.body_offset = reader.body_offset();
    out.end_line = reader.end_line();
    if (Status st = reader.status(); !st)
        out.error = st.error().what;
    CHECK(reader.field_count() == out.fields.size());
    return out;
}

using Fields = std::vector<std::string>;

} // namespace

TEST_CASE("HeaderReader walks fields up to the blank line", "[lib][header]")
{
    struct Case {
        std::string_view message;
        Fields want_fields;
        HeaderEnd want_end;
        std::size_t want_body_offset;
        std::size_t want_end_line;
    };
    for (auto const& c : std::vector<Case> {
             { "From: a\nTo: b\n\nbody\n", { "From= a", "To= b" }, HeaderEnd::kBlankLine, 15, 3 },
             { "From: a\r\nTo: b\r\n\r\nbody", { "From= a", "To= b" }, HeaderEnd::kBlankLine, 18,
                 3 },
             { "From: a\r\nTo: b\n\r\nbody", { "From= a", "To= b" }, HeaderEnd::kBlankLine, 17, 3 },
             { "Subject: a\n\tb\n  c\nX: y\n\nB", { "Subject= a\n\tb\n  c", "X= y" },
                 HeaderEnd::kBlankLine, 24, 5 },
             { "Subject: a\r\n b\r\n\r\n", { "Subject= a\r\n b" }, HeaderEnd::kBlankLine, 18, 3 },
             { "Subject: only", { "Subject= only" }, HeaderEnd::kEndOfInput, 13, 2 },
             { "A: 1\nB: 2\n", { "A= 1", "B= 2" }, HeaderEnd::kEndOfInput, 10, 3 },
             { "A: 1\r", { "A= 1" }, HeaderEnd::kEndOfInput, 5, 2 },
             { "A: 1\n\r", { "A= 1" }, HeaderEnd::kBlankLine, 6, 2 },
             { "", {}, HeaderEnd::kEndOfInput, 0, 1 },
             { "\n", {}, HeaderEnd::kBlankLine, 1, 1 },
             { "\r\nbody", {}, HeaderEnd::kBlankLine, 2, 1 },
             { "Subject : obsolete\n\n", { "Subject= obsolete" }, HeaderEnd::kBlankLine, 20, 2 },
             { "A:\nB:x\n\n", { "A=", "B=x" }, HeaderEnd::kBlankLine, 8, 3 },
             { "A: x\ry\n\n", { "A= x\ry" }, HeaderEnd::kBlankLine, 8, 2 },
             { "A: 1\n \n\n", { "A= 1\n " }, HeaderEnd::kBlankLine, 8, 3 },
             { "Subject: caf\xc3\xa9 \xff\n\n", { "Subject= caf\xc3\xa9 \xff" },
                 HeaderEnd::kBlankLine, 18, 2 },
             { "Subject: a\0b\n\n"sv, { "Subject= a\0b"s }, HeaderEnd::kBlankLine, 14, 2 },
             { "X-Odd!#$%&'*+-.^_`|~: v\n", { "X-Odd!#$%&'*+-.^_`|~= v" }, HeaderEnd::kEndOfInput,
                 24, 2 },
         }) {
        INFO("message: " << c.message);
        Walk got = walk(c.message);
        CHECK(got.fields == c.want_fields);
        CHECK(got.end == c.want_end);
        CHECK(got.body_offset == c.want_body_offset);
        CHECK(got.end_line == c.want_end_line);
        CHECK(got.error.empty());
    }
}

TEST_CASE("HeaderReader stops at a line that is not a field", "[lib][header]")
{
    struct Case {
        std::string_view message;
        Fields want_fields;
        std::string_view want_error;
        std::size_t want_body_offset;
        std::size_t want_end_line;
    };
    for (auto const& c : std::vector<Case> {
             { " leading\nA: 1\n", {}, "continuation line at start of header", 0, 1 },
             { "\tleading\n", {}, "continuation line at start of header", 0, 1 },
             { "A: 1\nnot a header\nB: 2\n", { "A= 1" }, "header line without colon", 5, 2 },
             { "A: 1\r\n\r\n", { "A= 1" }, "", 8, 2 },
             { "From someone Mon Jan  1\nA: 1\n", {}, "header line without colon", 0, 1 },
             { "A: 1\nBad Name: x\n", { "A= 1" }, "invalid header field name", 5, 2 },
             { ":x\n", {}, "invalid header field name", 0, 1 },
             { "Na\xc3\xa9me: x\n", {}, "invalid header field name", 0, 1 },
             { "A\0B: x\n"sv, {}, "invalid header field name", 0, 1 },
             { "A\x7f: x\n", {}, "invalid header field name", 0, 1 },
             { "A: 1\nB: 2\n  more\nC 3\n", { "A= 1", "B= 2\n  more" }, "header line without colon",
                 17, 4 },
         }) {
        INFO("message: " << c.message);
        Walk got = walk(c.message);
        CHECK(got.fields == c.want_fields);
        CHECK(got.error == c.want_error);
        CHECK(
            got.end == (c.want_error.empty() ? HeaderEnd::kBlankLine : HeaderEnd::kMalformedLine));
        CHECK(got.body_offset == c.want_body_offset);
        CHECK(got.end_line == c.want_end_line);
    }
}

TEST_CASE("HeaderField offset and length cover the whole field", "[lib][header]")
{
    std::string_view message = "A: 1\r\nB: 2\n\t3\nC: 4\n\nbody";
    HeaderReader reader(message);
    std::vector<std::string_view> got;
    while (auto field = reader.next())
        got.push_back(message.substr(field->offset, field->length));
    CHECK(got == std::vector<std::string_view> { "A: 1\r\n", "B: 2\n\t3\n", "C: 4\n" });
    CHECK(reader.ended_by_blank_line());
    CHECK(message.substr(reader.body_offset()) == "body");
}

TEST_CASE("HeaderReader limits field length and count", "[lib][header]")
{
    std::string huge = "Subject: " + std::string(size_t { 200 } * 1024, 'a') + "\n\nbody";
    Walk got = walk(huge);
    CHECK(got.fields.empty());
    CHECK(got.end == HeaderEnd::kLimit);
    CHECK(got.error == "header field too long");
    CHECK(got.body_offset == 0);

    std::string folded = "A: 1\nSubject: x\n";
    for (int i = 0; i < 100000; ++i)
        folded += " more\n";
    got = walk(folded);
    CHECK(got.fields == Fields { "A= 1" });
    CHECK(got.error == "header field too long");
    CHECK(got.end_line == 2);
    CHECK(got.body_offset == 5);

    HeaderLimits small;
    small.max_field_length = 10; // with the line end
    CHECK(walk("A: 123456\n", small).error.empty());
    CHECK(walk("A: 1234567\n", small).error == "header field too long");
    CHECK(walk("A: 123\r\n 5\n", small).error == "header field too long");

    std::string many;
    for (int i = 0; i < 10000; ++i)
        many += "X-Field: " + std::to_string(i) + "\n";
    got = walk(many + "\nbody");
    CHECK(got.fields.size() == 10000);
    CHECK(got.fields.back() == "X-Field= 9999");
    CHECK(got.error.empty());
    CHECK(got.end == HeaderEnd::kBlankLine);
    got = walk(many + "One: more\n\nbody");
    CHECK(got.fields.size() == 10000);
    CHECK(got.end == HeaderEnd::kLimit);
    CHECK(got.error == "too many header fields");
    CHECK(got.end_line == 10001);
    CHECK(got.body_offset == many.size());

    small.max_fields = 2;
    small.max_field_length = 100;
    CHECK(walk("A: 1\nB: 2\n\n", small).error.empty());
    CHECK(walk("A: 1\nB: 2\nC: 3\n", small).error == "too many header fields");
}

TEST_CASE("unfold removes folding and trims", "[lib][header]")
{
    struct Case {
        std::string_view raw;
        std::string_view want;
    };
    for (auto const& c : std::vector<Case> {
             { " value", "value" },
             { "  a  b  ", "a  b" },
             { " a\r\n b", "a b" },
             { " a\n\tb", "a\tb" },
             { " a\r\n\t\tb\n c", "a\t\tb c" },
             { " a\r\nb", "a\r\nb" },
             { " a\rb", "a\rb" },
             { " a\r\n", "a" },
             { " a\r\n ", "a" },
             { "", "" },
             { " \t", "" },
             { "\r\n \r\n ", "" },
             { " caf\xc3\xa9", "caf\xc3\xa9" },
             { " a\0b"sv, "a\0b"sv },
         }) {
        INFO("raw: " << c.raw);
        CHECK(unfold(c.raw) == c.want);
    }
}

TEST_CASE("field_name_equals ignores ASCII case", "[lib][header]")
{
    CHECK(field_name_equals("Received", "received"));
    CHECK(field_name_equals("DELIVERED-TO", "Delivered-To"));
    CHECK(field_name_equals("", ""));
    CHECK_FALSE(field_name_equals("Received", "Receive"));
    CHECK_FALSE(field_name_equals("Received", "Received "));
    CHECK_FALSE(field_name_equals("X-\xc3\xa9", "X-\xc3\x89"));
    CHECK_FALSE(field_name_equals("[", "{")); // 0x5b vs 0x7b: not letters
}

TEST_CASE("count_fields and count_hops", "[lib][header]")
{
    struct Case {
        std::string_view header;
        std::size_t want_received;
        std::size_t want_hops;
    };
    for (auto const& c : std::vector<Case> {
             { "", 0, 0 },
             { "Received: a\nreceived: b\nRECEIVED : c\n", 3, 3 },
             { "Received: a\r\n  by x\r\nDelivered-To: u@x\r\n\r\nReceived: body\r\n", 1, 2 },
             { "Delivered-To: a\nDelivered-By: b\nX-Received: c\nReceivedX: d\n", 0, 1 },
             { "Received: a\nnot a header line\nReceived: b\n\nReceived: c\n", 2, 2 },
             { " Received: continuation\nReceived:x", 1, 1 },
             { "Received a\nReceived\n", 0, 0 },
         }) {
        INFO("header: " << c.header);
        CHECK(count_fields(c.header, "Received") == c.want_received);
        CHECK(count_hops(c.header) == c.want_hops);
    }
    std::string loop;
    for (int i = 0; i < 100; ++i)
        loop += "Received: from x by y\n  with SMTP\nDelivered-To: u@example.org\n";
    CHECK(count_hops(loop + "\nbody") == 200);
    CHECK(count_fields(loop, "delivered-to") == 100);
    CHECK(count_fields("A: 1\n", "") == 0);
}
