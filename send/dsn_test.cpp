#include "dsn.hpp"

#include "header.hpp"

#include <catch2/catch.hpp>

#include <map>

namespace {

using send::FailedRecipient;

struct Part {
    std::map<std::string, std::string> fields; // lowercase name -> unfolded value
    std::string body;
};

std::string lower(std::string s)
{
    for (char& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// Header fields and body of an entity (LF line ends).
Part parse_entity(std::string_view text)
{
    Part p;
    mta::HeaderReader reader(text);
    while (auto f = reader.next())
        p.fields[lower(std::string(f->name))] = mta::unfold(f->raw_value);
    REQUIRE(reader.ended_by_blank_line());
    p.body = std::string(text.substr(reader.body_offset()));
    return p;
}

// The parts of a multipart body: text between "\n--B\n" delimiters, up to "\n--B--".
std::vector<Part> split_multipart(std::string const& body, std::string const& boundary)
{
    std::string const delimiter = "\n--" + boundary;
    std::vector<Part> parts;
    size_t pos = body.find(delimiter);
    REQUIRE(pos != std::string::npos);
    for (;;) {
        pos += delimiter.size();
        if (body.compare(pos, 3, "--\n") == 0) {
            CHECK(pos + 3 == body.size()); // nothing after the close delimiter
            return parts;
        }
        REQUIRE(body.compare(pos, 1, "\n") == 0);
        size_t next = body.find(delimiter, pos + 1);
        REQUIRE(next != std::string::npos);
        parts.push_back(parse_entity(body.substr(pos + 1, next - pos - 1)));
        pos = next;
    }
}

// Per-recipient blocks of a message/delivery-status body (blank-line separated).
std::vector<std::map<std::string, std::string>> status_blocks(std::string const& body)
{
    std::vector<std::map<std::string, std::string>> blocks;
    std::string const& text = body;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find("\n\n", pos);
        std::string block
            = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos + 1);
        pos = end == std::string::npos ? text.size() : end + 2;
        if (block.find_first_not_of('\n') == std::string::npos)
            continue;
        mta::HeaderReader reader(block);
        std::map<std::string, std::string> fields;
        while (auto f = reader.next())
            fields[lower(std::string(f->name))] = mta::unfold(f->raw_value);
        blocks.push_back(fields);
    }
    return blocks;
}

std::string boundary_of(std::string const& content_type)
{
    auto at = content_type.find("boundary=\"");
    REQUIRE(at != std::string::npos);
    at += 10;
    return content_type.substr(at, content_type.find('"', at) - at);
}

send::Dsn sample()
{
    send::Dsn d;
    d.reporting_host = "mx.example.org";
    d.from = "MAILER-DAEMON@mx.example.org";
    d.to = "alice@example.net";
    d.return_path = "alice@example.net";
    d.now = 1700000000;
    d.arrival = 1699990000;
    d.message_id = "1700000000.42.1234.bounce@mx.example.org";
    d.failed = {
        { "bob@mx.example.org", false, "Sorry, no mailbox here by that name. (#5.1.1)" },
        { "carol@remote.example", true,
            "mx.remote.example[192.0.2.7] does not like recipient.\nRemote host said: 552 5.2.2 "
            "<carol@remote.example>: mailbox full\nGiving up on mx.remote.example[192.0.2.7].\n"
            "TLS: none." },
    };
    return d;
}

} // namespace

TEST_CASE("dsn: bounce/N paragraphs as qmail writes them", "[send][dsn]")
{
    CHECK(send::bounce_paragraph("bob@x", false, "No such user. (#5.1.1)\n")
        == "<bob@x>:\nNo such user. (#5.1.1)\n\n");
    CHECK(send::bounce_paragraph("bob@x", false, "no newline") == "<bob@x>:\nno newline\n\n");
    CHECK(send::bounce_paragraph("bob@x", true, "a\n\nb\n\n\nc\n\n")
        == "R<bob@x>:\na\n/b\n//c\n\n"); // blank lines neutralised; the paragraph stays one
    CHECK(send::bounce_paragraph("b\nob@x", false, "") == "<b_ob@x>:\n\n");

    std::string const file = send::bounce_paragraph("bob@x", false, "one\n\ntwo\n")
        + send::bounce_paragraph("carol@y", true, "Remote host said: 550 no\n")
        + send::bounce_paragraph("dave@z", false, "");
    auto got = send::parse_bounce_paragraphs(file);
    REQUIRE(got.size() == 3);
    CHECK(got[0] == FailedRecipient { "bob@x", false, "one\n/two" });
    CHECK(got[1] == FailedRecipient { "carol@y", true, "Remote host said: 550 no" });
    CHECK(got[2] == FailedRecipient { "dave@z", false, "" });
    // A qmail bounce/N (no R), stray blank lines and garbage are read too.
    auto old = send::parse_bounce_paragraphs("\n<a@b>:\nx\n\n\ngarbage\n\n<c@d>:\ny\n");
    REQUIRE(old.size() == 2);
    CHECK(old[0] == FailedRecipient { "a@b", false, "x" });
    CHECK(old[1] == FailedRecipient { "c@d", false, "y\n" }); // cut short: kept as it is
}

TEST_CASE("dsn: enhanced status codes from report texts", "[send][dsn]")
{
    struct Case {
        const char* report;
        const char* want;
    };
    Case const cases[] = {
        { "Sorry, no mailbox here by that name. (#5.1.1)", "5.1.1" },
        { "This message is looping: it already has my Delivered-To line. (#5.4.6)", "5.4.6" },
        { "Remote host said: 550 5.7.1 relaying denied", "5.7.1" },
        { "Remote host said: 552 5.2.2 full\nand later #5.3.4", "5.3.4" }, // '#' wins
        { "temporary (#4.2.2)\nI'm not going to try again", "4.2.2" },
        { "Sorry, I couldn't find any host named x. (#5.1.2)", "5.1.2" },
        { "Connected to 5.6.7.8 but it said no", "5.0.0" }, // an IP address is not a code
        { "Remote host said: 554 denied", "5.0.0" },
        { "#2.0.0 is not a failure", "5.0.0" },
        { "code 5.123.456", "5.123.456" },
        { "code 5.1234.1", "5.0.0" },
        { "", "5.0.0" },
    };
    for (auto const& c : cases) {
        INFO(c.report);
        CHECK(send::status_code(c.report) == c.want);
    }
}

TEST_CASE("dsn: the header section of a message", "[send][dsn]")
{
    CHECK(send::header_section("A: 1\nB: 2\n\nbody\n") == "A: 1\nB: 2\n\n");
    CHECK(send::header_section("A: 1\r\n\r\nbody\r\n") == "A: 1\r\n\r\n");
    CHECK(send::header_section("A: 1\nno body") == "A: 1\nno body");
    CHECK(send::header_section("\nbody") == "\n");
}

TEST_CASE("dsn: a multipart/report with qmail's words and RFC 3464 fields", "[send][dsn]")
{
    send::Dsn d = sample();
    std::string const original
        = "Received: (qmail 1 invoked by uid 1000); 14 Nov 2023 22:13:20 -0000\n"
          "Subject: hello\n\nThe body.\n";
    d.original = original;
    std::string const text = send::compose_dsn(d);

    Part top = parse_entity(text);
    CHECK(top.fields["from"] == "MAILER-DAEMON@mx.example.org");
    CHECK(top.fields["to"] == "alice@example.net");
    CHECK(top.fields["subject"] == "failure notice");
    CHECK(top.fields["date"] == "14 Nov 2023 22:13:20 -0000");
    CHECK(top.fields["mime-version"] == "1.0");
    CHECK(top.fields["auto-submitted"] == "auto-replied");
    CHECK(top.fields["message-id"] == "<1700000000.42.1234.bounce@mx.example.org>");
    std::string const& type = top.fields["content-type"];
    CHECK(type.starts_with("multipart/report; report-type=delivery-status;"));
    auto parts = split_multipart(top.body, boundary_of(type));
    REQUIRE(parts.size() == 3);

    CHECK(parts[0].fields["content-type"] == "text/plain; charset=us-ascii");
    CHECK(parts[0].body
        == "Hi. This is the send program at mx.example.org.\n"
           "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
           "This is a permanent error; I've given up. Sorry it didn't work out.\n"
           "\n"
           "<bob@mx.example.org>:\n"
           "Sorry, no mailbox here by that name. (#5.1.1)\n"
           "\n"
           "<carol@remote.example>:\n"
           "mx.remote.example[192.0.2.7] does not like recipient.\n"
           "Remote host said: 552 5.2.2 <carol@remote.example>: mailbox full\n"
           "Giving up on mx.remote.example[192.0.2.7].\n"
           "TLS: none.\n"
           "\n"
           "--- Below this line is a copy of the message.\n");

    CHECK(parts[1].fields["content-type"] == "message/delivery-status");
    auto blocks = status_blocks(parts[1].body);
    REQUIRE(blocks.size() == 3);
    CHECK(blocks[0]["reporting-mta"] == "dns; mx.example.org");
    CHECK(blocks[0]["arrival-date"] == "14 Nov 2023 19:26:40 -0000");
    CHECK(blocks[1]["final-recipient"] == "rfc822; bob@mx.example.org");
    CHECK(blocks[1]["action"] == "failed");
    CHECK(blocks[1]["status"] == "5.1.1");
    CHECK(blocks[1]["diagnostic-code"] == "x-unix; Sorry, no mailbox here by that name. (#5.1.1)");
    CHECK(blocks[2]["final-recipient"] == "rfc822; carol@remote.example");
    CHECK(blocks[2]["status"] == "5.2.2");
    CHECK(blocks[1].count("remote-mta") == 0);
    // RFC 3464 2.3.5 and 2.3.6: the exchanger, and its SMTP reply alone.
    CHECK(blocks[2]["remote-mta"] == "dns; mx.remote.example");
    CHECK(blocks[2]["diagnostic-code"] == "smtp; 552 5.2.2 <carol@remote.example>: mailbox full");

    CHECK(parts[2].fields["content-type"] == "message/rfc822");
    CHECK(parts[2].fields.count("content-transfer-encoding") == 0);
    CHECK(parts[2].body == "Return-Path: <alice@example.net>\n" + original);
}

TEST_CASE("dsn: double bounces, big messages, 8-bit text, a hostile boundary", "[send][dsn]")
{
    send::Dsn d = sample();
    d.double_bounce = true;
    d.to = "postmaster@mx.example.org";
    d.return_path = "";
    d.failed.resize(1);
    d.failed[0].report = "Sorry, caf\xc3\xa9 is closed. (#5.2.1)";
    std::string const header = "Subject: big\n\n";
    d.original = header;
    d.headers_only = true;
    std::string text = send::compose_dsn(d);
    // The message holds the first boundary we would pick: another one is chosen.
    std::string const tricky = "Subject: x\n\n--=_send_1700000000_0\nnot a part\n";
    d.original = tricky;
    d.headers_only = false;
    std::string text2 = send::compose_dsn(d);

    Part top = parse_entity(text);
    CHECK(top.fields["to"] == "postmaster@mx.example.org");
    auto parts = split_multipart(top.body, boundary_of(top.fields["content-type"]));
    REQUIRE(parts.size() == 3);
    CHECK(parts[0].fields["content-type"] == "text/plain; charset=utf-8");
    CHECK(parts[0].fields["content-transfer-encoding"] == "8bit");
    CHECK(parts[0].body.find("I tried to deliver a bounce message to this address, but the bounce "
                             "bounced!\n")
        != std::string::npos);
    CHECK(parts[0].body.ends_with("--- Below this line is the header of the original bounce.\n"));
    auto blocks = status_blocks(parts[1].body);
    REQUIRE(blocks.size() == 2);
    CHECK(blocks[1]["status"] == "5.2.1");
    CHECK(blocks[1]["diagnostic-code"] == "x-unix; Sorry, caf?? is closed. (#5.2.1)");
    CHECK(parts[2].fields["content-type"] == "text/rfc822-headers");
    CHECK(parts[2].body == "Return-Path: <>\n" + header);

    Part top2 = parse_entity(text2);
    std::string const b2 = boundary_of(top2.fields["content-type"]);
    CHECK(b2 != "=_send_1700000000_0");
    auto parts2 = split_multipart(top2.body, b2);
    REQUIRE(parts2.size() == 3);
    CHECK(parts2[2].body == "Return-Path: <>\n" + tricky);
}

TEST_CASE("dsn: long diagnostics are folded, odd addresses quoted", "[send][dsn]")
{
    send::Dsn d = sample();
    d.to = "john doe@example.net";
    d.failed = { { "x@y", false, std::string(300, 'a') + " " + std::string(50, 'b') + " tail" } };
    std::string text = send::compose_dsn(d);
    Part top = parse_entity(text);
    CHECK(top.fields["to"] == "\"john doe\"@example.net");
    auto parts = split_multipart(top.body, boundary_of(top.fields["content-type"]));
    REQUIRE(parts.size() == 3);
    // Folded: no line over 78 columns unless one word is longer; unfolding gives it back.
    auto blocks = status_blocks(parts[1].body);
    REQUIRE(blocks.size() == 2);
    CHECK(blocks[1]["diagnostic-code"]
        == "x-unix; " + std::string(300, 'a') + " " + std::string(50, 'b') + " tail");
    CHECK(parts[1].body.find("\n " + std::string(50, 'b') + " tail\n") != std::string::npos);
}

TEST_CASE("dsn: the SMTP reply and the exchanger in a remote report", "[send][dsn]")
{
    struct Case {
        std::string report, reply, host;
    };
    Case const cases[] = {
        { "127.0.0.5 does not like recipient.\nRemote host said: 550 5.1.1 no such user\n"
          "Giving up on 127.0.0.5.\nTLS: none.",
            "550 5.1.1 no such user", "127.0.0.5" },
        { "mx.example.org[192.0.2.1] does not like recipient.\nRemote host said: 550-5.1.1 one\n"
          "550-5.1.1 two\n550 5.1.1 three\nTLS: TLSv1.3 TLS_AES_256_GCM_SHA384, certificate "
          "verified.",
            "550-5.1.1 one\n550-5.1.1 two\n550 5.1.1 three", "mx.example.org" },
        { "Connected to mx.example.org[2001:db8::1] but sender was rejected.\n"
          "Remote host said: 553 5.7.1 go away\nTLS: none.",
            "553 5.7.1 go away", "mx.example.org" },
        { "Connected to 2001:db8::1 but my name was rejected.\nRemote host said: 550 no", "550 no",
            "2001:db8::1" },
        { "Remote host said: 554 rejected", "554 rejected", "" },
    };
    for (auto const& c : cases) {
        INFO(c.report);
        auto got = send::smtp_report(c.report);
        REQUIRE(got);
        CHECK(got->reply == c.reply);
        CHECK(got->host == c.host);
    }
    CHECK_FALSE(send::smtp_report("Sorry, I couldn't find any host named x. (#5.1.2)"));
    CHECK_FALSE(send::smtp_report("Connected to 127.0.0.5 but connection died. (#4.4.2)"));
    CHECK_FALSE(send::smtp_report("x Remote host said: 550 not at a line start"));
    CHECK_FALSE(send::smtp_report("x\nRemote host said: no code"));

    // Without a reply a remote report keeps its words, and has no Remote-MTA.
    send::Dsn d = sample();
    d.failed = { { "x@y", true, "Sorry, I couldn't find any host named y. (#5.1.2)" },
        { "z@y", true,
            "mx.y[192.0.2.1] does not like recipient.\nRemote host said: 550-5.1.1 no\n"
            "550 5.1.1 really\nTLS: none." } };
    Part top = parse_entity(send::compose_dsn(d));
    auto parts = split_multipart(top.body, boundary_of(top.fields["content-type"]));
    REQUIRE(parts.size() == 3);
    auto blocks = status_blocks(parts[1].body);
    REQUIRE(blocks.size() == 3);
    CHECK(blocks[1].count("remote-mta") == 0);
    CHECK(blocks[1]["diagnostic-code"]
        == "x-unix; Sorry, I couldn't find any host named y. (#5.1.2)");
    CHECK(blocks[2]["remote-mta"] == "dns; mx.y");
    CHECK(blocks[2]["diagnostic-code"] == "smtp; 550-5.1.1 no 550 5.1.1 really");
    CHECK(blocks[2]["status"] == "5.1.1");
    // qmail's wording stays in the human-readable part.
    CHECK(parts[0].body.find("<z@y>:\nmx.y[192.0.2.1] does not like recipient.\n"
                             "Remote host said: 550-5.1.1 no\n550 5.1.1 really\nTLS: none.\n")
        != std::string::npos);
}

TEST_CASE("dsn: the notification's charset is true", "[send][dsn]")
{
    CHECK(send::valid_utf8("plain") == "plain");
    CHECK(send::valid_utf8("\xc3\x9cn\xc3\xaf"
                           "code")
        == "\xc3\x9cn\xc3\xaf"
           "code");
    CHECK(send::valid_utf8("\xdcn\xef"
                           "code")
        == "?n?code"); // Latin-1
    CHECK(send::valid_utf8("a\xc3") == "a?"); // cut sequence
    CHECK(send::valid_utf8("\xc0\xaf") == "??"); // overlong
    CHECK(send::valid_utf8("\xed\xa0\x80") == "???"); // surrogate
    CHECK(send::valid_utf8("\xf4\x90\x80\x80") == "????"); // above U+10FFFF
    CHECK(send::valid_utf8("\xf0\x9f\x93\xa7") == "\xf0\x9f\x93\xa7");

    send::Dsn d = sample();
    d.failed = { { "bob@x", false,
        "\xdcn\xef"
        "code and \xc3\xbc. (#5.0.0)" } };
    Part top = parse_entity(send::compose_dsn(d));
    auto parts = split_multipart(top.body, boundary_of(top.fields["content-type"]));
    REQUIRE(parts.size() == 3);
    CHECK(parts[0].fields["content-type"] == "text/plain; charset=utf-8");
    CHECK(parts[0].fields["content-transfer-encoding"] == "8bit");
    CHECK(parts[0].body.find("<bob@x>:\n?n?code and \xc3\xbc. (#5.0.0)\n") != std::string::npos);
    CHECK(send::valid_utf8(parts[0].body) == parts[0].body);

    d.failed = { { "bob@x", false,
        "\xdcn\xef"
        "code. (#5.0.0)" } }; // nothing 8-bit is left
    top = parse_entity(send::compose_dsn(d));
    parts = split_multipart(top.body, boundary_of(top.fields["content-type"]));
    REQUIRE(parts.size() == 3);
    CHECK(parts[0].fields["content-type"] == "text/plain; charset=us-ascii");
    CHECK(parts[0].fields.count("content-transfer-encoding") == 0);
}
