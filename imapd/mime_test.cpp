#include "mime.hpp"

#include <catch2/catch.hpp>

using namespace imapd;

namespace {

std::string const kNested = to_crlf("From: Ann <ann@a.example>\n"
                                    "To: undisclosed:;, \"B, Bob\" <bob@b.example>\n"
                                    "Subject: nested\n"
                                    "Content-Type: multipart/mixed; boundary=\"outer\"\n"
                                    "\n"
                                    "preamble\n"
                                    "--outer\n"
                                    "\n"
                                    "plain part\n"
                                    "--outer\n"
                                    "Content-Type: message/rfc822\n"
                                    "\n"
                                    "Subject: inner\n"
                                    "Content-Type: multipart/alternative; boundary=in\n"
                                    "\n"
                                    "--in\n"
                                    "Content-Type: text/plain\n"
                                    "\n"
                                    "inner text\n"
                                    "--in\n"
                                    "Content-Type: text/html; charset=utf-8\n"
                                    "\n"
                                    "<p>x</p>\n"
                                    "--in--\n"
                                    "--outer--\n"
                                    "epilogue\n");

Section section(std::vector<uint32_t> part, Section::Text text = Section::Text::none)
{
    Section s;
    s.part = std::move(part);
    s.text = text;
    return s;
}

} // namespace

TEST_CASE("CRLF conversion", "[imapd][mime]")
{
    CHECK(to_crlf("a\nb\r\nc") == "a\r\nb\r\nc");
    CHECK(crlf_size("a\nb\r\nc\n") == 9);
    CHECK(to_crlf("\n") == "\r\n");
}

TEST_CASE("ENVELOPE of a simple message", "[imapd][mime]")
{
    std::string text = to_crlf("Date: Mon, 7 Feb 1994 21:52:25 -0800\n"
                               "From: Fred Foobar <foobar@Blurdybloop.example>\n"
                               "Subject: afternoon meeting\n"
                               "To: mooch@owatagu.example (comment)\n"
                               "Message-Id: <B27397-0100000@Blurdybloop.example>\n"
                               "\n"
                               "Hello Joe\n");
    Part root = parse_message(text);
    CHECK(envelope(text, root)
        == "(\"Mon, 7 Feb 1994 21:52:25 -0800\" \"afternoon meeting\" "
           "((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.example\")) "
           "((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.example\")) "
           "((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.example\")) "
           "((NIL NIL \"mooch\" \"owatagu.example\")) NIL NIL NIL "
           "\"<B27397-0100000@Blurdybloop.example>\")");
    CHECK(body_structure(text, root, false)
        == "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 11 1)");
    CHECK(body_structure(text, root, true)
        == "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 11 1 NIL NIL NIL NIL)");
}

TEST_CASE("groups and quoted names in address lists", "[imapd][mime]")
{
    Part root = parse_message(kNested);
    std::string env = envelope(kNested, root);
    CHECK(env.find("((NIL NIL \"undisclosed\" NIL)(NIL NIL NIL NIL)(\"B, Bob\" NIL \"bob\" "
                   "\"b.example\"))")
        != std::string::npos);
}

TEST_CASE("BODYSTRUCTURE of nested multiparts and message/rfc822", "[imapd][mime]")
{
    Part root = parse_message(kNested);
    REQUIRE(root.children.size() == 2);
    CHECK(root.children[1].rfc822());
    std::string bs = body_structure(kNested, root, false);
    CHECK(bs.rfind("((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 1)"
                   "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" ",
              0)
        == 0);
    CHECK(bs.find("((\"text\" \"plain\" NIL NIL NIL \"7bit\" 10 1)(\"text\" \"html\" "
                  "(\"charset\" \"utf-8\") NIL NIL \"7bit\" 8 1) \"alternative\") 12) \"mixed\")")
        != std::string::npos);
}

TEST_CASE("BODY[section] of nested parts", "[imapd][mime]")
{
    Part root = parse_message(kNested);
    using T = Section::Text;
    CHECK(section_text(kNested, root, section({ 1 })) == "plain part");
    CHECK(section_text(kNested, root, section({ 2, 1 })) == "inner text");
    CHECK(section_text(kNested, root, section({ 2, 2 })) == "<p>x</p>");
    CHECK(section_text(kNested, root, section({ 2, 2 }, T::mime))
        == "Content-Type: text/html; charset=utf-8\r\n\r\n");
    CHECK(section_text(kNested, root, section({ 2 }, T::header))
        == "Subject: inner\r\nContent-Type: multipart/alternative; boundary=in\r\n\r\n");
    CHECK(section_text(kNested, root, section({ 2 }, T::text))->rfind("--in\r\n", 0) == 0);
    CHECK(section_text(kNested, root, section({}, T::text))->rfind("preamble\r\n", 0) == 0);
    CHECK_FALSE(section_text(kNested, root, section({ 3 })));
    CHECK_FALSE(section_text(kNested, root, section({ 1 }, T::header))); // not a message
    CHECK_FALSE(section_text(kNested, root, section({ 1, 1 })));
    Section fields = section({}, T::header_fields);
    fields.fields = { "subject", "TO" };
    CHECK(section_text(kNested, root, fields)
        == "To: undisclosed:;, \"B, Bob\" <bob@b.example>\r\nSubject: nested\r\n\r\n");
    fields.text = T::header_fields_not;
    fields.fields = { "To", "Subject", "Content-Type" };
    CHECK(section_text(kNested, root, fields) == "From: Ann <ann@a.example>\r\n\r\n");
    CHECK(section_text(kNested, root, section({})) == kNested);
}

TEST_CASE("broken MIME still has a structure", "[imapd][mime]")
{
    // No closing boundary, no header at all, a Content-Type without a subtype.
    std::string open = to_crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b\n\ny");
    Part root = parse_message(open);
    CHECK(root.children.size() == 2);
    CHECK(section_text(open, root, section({ 2 })) == "y");
    std::string bare = "just a body";
    Part plain = parse_message(bare);
    CHECK(plain.body_begin == 0);
    CHECK(body_structure(bare, plain, false).find("\"text\" \"plain\"") != std::string::npos);
    std::string odd = to_crlf("Content-Type: text\n\nx\n");
    Part t = parse_message(odd);
    CHECK(t.type == "text");
    CHECK(t.subtype == "plain");
    std::string no_boundary = to_crlf("Content-Type: multipart/mixed\n\nx\n");
    CHECK(body_structure(no_boundary, parse_message(no_boundary), false)
        == "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 3 1)");
}

TEST_CASE("Date header parsing", "[imapd][mime]")
{
    CHECK(parse_rfc822_date("Mon, 7 Feb 1994 21:52:25 -0800") == 760686745);
    CHECK(parse_rfc822_date("7 Feb 1994 21:52 +0000") == 760657920);
    CHECK(parse_rfc822_date("7 Feb 94 21:52:25 GMT") == 760657945);
    CHECK_FALSE(parse_rfc822_date("yesterday"));
    CHECK_FALSE(parse_rfc822_date(""));
}
