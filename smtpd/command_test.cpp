#include "command.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace smtpd;

namespace {

std::string mail_text(std::string_view arg)
{
    auto got = parse_mail(arg);
    if (auto* bad = std::get_if<ArgError>(&got))
        return bad->reply;
    auto const& m = std::get<MailArgs>(got);
    std::string out = "<" + m.sender.local + "@" + m.sender.domain + ">";
    if (m.size)
        out += " size=" + std::to_string(*m.size);
    if (m.smtputf8)
        out += " utf8";
    if (m.body_8bit)
        out += " 8bit";
    return out;
}

std::string rcpt_text(std::string_view arg, bool utf8 = false)
{
    auto got = parse_rcpt(arg, utf8);
    if (auto* bad = std::get_if<ArgError>(&got))
        return bad->reply;
    auto const& r = std::get<RcptArgs>(got).recipient;
    return r.local + "|" + r.domain;
}

std::string bdat_text(std::string_view arg)
{
    auto got = parse_bdat(arg);
    if (auto* bad = std::get_if<ArgError>(&got))
        return bad->reply;
    auto const& b = std::get<BdatArgs>(got);
    return std::to_string(b.size) + (b.last ? " last" : "");
}

} // namespace

TEST_CASE("smtpd commands: verbs and arguments", "[smtpd][command]")
{
    struct Case {
        std::string line;
        Verb verb;
        std::string argument;
    };
    std::vector<Case> const cases {
        { "EHLO mx.example.org\r", Verb::ehlo, "mx.example.org" },
        { "ehlo   x  ", Verb::ehlo, "x" },
        { "HeLo x", Verb::helo, "x" },
        { "MAIL FROM:<a@b>", Verb::mail, "FROM:<a@b>" },
        { "rcpt to:<a@b>", Verb::rcpt, "to:<a@b>" },
        { "DATA", Verb::data, "" },
        { "BDAT 10 LAST", Verb::bdat, "10 LAST" },
        { "RSET", Verb::rset, "" },
        { "NOOP whatever", Verb::noop, "whatever" },
        { "VRFY x", Verb::vrfy, "x" },
        { "HELP", Verb::help, "" },
        { "QUIT", Verb::quit, "" },
        { "STARTTLS", Verb::starttls, "" },
        { "STARTTLSX", Verb::unknown, "" },
        { "", Verb::unknown, "" },
        { "EXPN x", Verb::unknown, "x" },
        { " MAIL FROM:<a@b>", Verb::unknown, "MAIL FROM:<a@b>" },
    };
    for (auto const& c : cases) {
        Command got = parse_command(c.line);
        INFO("line: " << c.line);
        CHECK(got.verb == c.verb);
        CHECK(got.argument == c.argument);
    }
}

TEST_CASE("smtpd commands: MAIL FROM", "[smtpd][command]")
{
    std::vector<std::pair<std::string, std::string>> const cases {
        { "FROM:<a@b.example>", "<a@b.example>" },
        { "from: <a@b.example>", "<a@b.example>" },
        { "FROM:a@b.example", "<a@b.example>" },
        { "FROM:<>", "<@>" },
        { "FROM:<a@b.example> SIZE=1000 BODY=8BITMIME", "<a@b.example> size=1000 8bit" },
        { "FROM:<a@b.example> body=7bit", "<a@b.example>" },
        { "FROM:<\xc3\xbc@b.example> SMTPUTF8", "<\xc3\xbc@b.example> utf8" },
        { "FROM:<\xc3\xbc@b.example>", "553 5.6.7 non-ASCII address needs the SMTPUTF8 parameter" },
        { "FROM:<a@b.example", "501 5.1.7 bad sender address: missing closing angle bracket" },
        { "TO:<a@b.example>", "501 5.5.4 syntax: MAIL FROM:<address>" },
        { "", "501 5.5.4 syntax: MAIL FROM:<address>" },
        { "FROM:<a@b.example> SIZE=x", "501 5.5.4 bad SIZE value" },
        { "FROM:<a@b.example> SIZE=9999999999999999999", "501 5.5.4 bad SIZE value" },
        { "FROM:<a@b.example> BODY=BINARYMIME", "501 5.5.4 bad BODY value (7BIT or 8BITMIME)" },
        { "FROM:<a@b.example> RET=HDRS", "555 5.5.4 unsupported parameter" },
        { "FROM:<a@b.example> SMTPUTF8=1", "555 5.5.4 unsupported parameter" },
        { "FROM:<" + std::string(300, 'a') + "@b.example>",
            "501 5.1.7 bad sender address: local part too long" },
    };
    for (auto const& [arg, want] : cases) {
        INFO("argument: " << arg);
        CHECK(mail_text(arg) == want);
    }
}

TEST_CASE("smtpd commands: RCPT TO", "[smtpd][command]")
{
    CHECK(rcpt_text("TO:<u@example.org>") == "u|example.org");
    CHECK(rcpt_text("to:  <u@example.org>") == "u|example.org");
    CHECK(rcpt_text("TO:<postmaster>") == "postmaster|");
    CHECK(rcpt_text("TO:<@relay.example:u@example.org>") == "u|example.org");
    CHECK(rcpt_text("TO:<\"a b\"@example.org>") == "a b|example.org");
    CHECK(rcpt_text("TO:<u@[IPv6:::1]>") == "u|[IPv6:::1]");
    CHECK(rcpt_text("TO:<u@[127.0.0.1]>") == "u|[127.0.0.1]");
    CHECK(rcpt_text("TO:<>") == "501 5.1.3 bad recipient address: null path not allowed");
    CHECK(rcpt_text("TO:<u@example.org> NOTIFY=NEVER") == "555 5.5.4 unsupported parameter");
    CHECK(rcpt_text("TO:<u@example.org")
        == "501 5.1.3 bad recipient address: "
           "missing closing angle bracket");
    CHECK(rcpt_text("FROM:<u@example.org>") == "501 5.5.4 syntax: RCPT TO:<address>");
    CHECK(rcpt_text("TO:<\xc3\xbc@example.org>")
        == "553 5.6.7 non-ASCII address needs the SMTPUTF8 parameter");
    CHECK(rcpt_text("TO:<\xc3\xbc@example.org>", true) == "\xc3\xbc|example.org");
    CHECK(rcpt_text("TO:<u@exa mple.org>").rfind("501 5.1.3 bad recipient address: ", 0) == 0);
}

TEST_CASE("smtpd commands: BDAT sizes", "[smtpd][command]")
{
    CHECK(bdat_text("0") == "0");
    CHECK(bdat_text("4096 LAST") == "4096 last");
    CHECK(bdat_text("12 last") == "12 last");
    CHECK(bdat_text("999999999999999999") == "999999999999999999");
    CHECK(bdat_text("9999999999999999999") == "552 5.3.4 chunk size too big");
    CHECK(bdat_text("99999999999999999999999999") == "552 5.3.4 chunk size too big");
    CHECK(bdat_text("") == "501 5.5.4 syntax: BDAT size [LAST]");
    CHECK(bdat_text("-1") == "501 5.5.4 syntax: BDAT size [LAST]");
    CHECK(bdat_text("10 FIRST") == "501 5.5.4 syntax: BDAT size [LAST]");
    CHECK(bdat_text("0x10") == "501 5.5.4 syntax: BDAT size [LAST]");
    CHECK(parse_size("18446744073709551615") == std::nullopt);
    CHECK(parse_size("007") == 7u);
}
