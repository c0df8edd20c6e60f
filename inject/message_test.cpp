#include "message.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace inject;

namespace {

constexpr time_t kNow = 1709802301; // 7 Mar 2024 09:05:01 UTC

MessageSettings base_settings()
{
    MessageSettings s;
    s.identity.user = "joe";
    s.identity.sender_user = "joe";
    s.idhost = "id.example";
    s.now = kNow;
    s.pid = 4242;
    s.unique = "u1";
    return s;
}

Rewriter make_rewriter()
{
    auto rw = Rewriter::make("dh.example", "dd.example", "pd.example");
    REQUIRE(rw);
    return std::move(*rw);
}

std::vector<InputField> fields_of(std::vector<std::string> const& texts)
{
    std::vector<InputField> fields;
    std::size_t line = 1;
    for (auto const& t : texts) {
        fields.push_back({ t, line });
        line += static_cast<std::size_t>(std::count(t.begin(), t.end(), '\n'));
    }
    return fields;
}

Message process_ok(std::vector<std::string> const& texts, MessageSettings const& settings)
{
    auto rw = make_rewriter();
    auto outcome = process_header(fields_of(texts), rw, settings);
    if (auto* bad = std::get_if<HeaderError>(&outcome))
        FAIL("refused: " << describe(*bad));
    return std::get<Message>(outcome);
}

std::string refused(std::vector<std::string> const& texts)
{
    auto rw = make_rewriter();
    auto outcome = process_header(fields_of(texts), rw, base_settings());
    if (auto* bad = std::get_if<HeaderError>(&outcome))
        return describe(*bad);
    return "(accepted)";
}

const std::string kDate = "Date: 7 Mar 2024 09:05:01 -0000\n";
const std::string kMessageId = "Message-ID: <20240307090501.4242.u1@id.example>\n";

} // namespace

TEST_CASE("process_header adds the missing fields before the header", "[inject][message]")
{
    auto m = process_ok({ "Subject: hi\n" }, base_settings());
    CHECK(m.header
        == kDate + kMessageId + "From: joe@dh.example\nCc: recipient list not shown: ;\n"
            + "Subject: hi\n");
    CHECK(m.sender == "joe@dh.example");
    CHECK(m.header_recipients.empty());
    CHECK_FALSE(m.resent);

    auto full = process_ok(
        { "Date: x\n", "Message-ID: <a@b>\n", "From: a@b.c\n", "To: d@e.f\n" }, base_settings());
    CHECK(full.header == "Date: x\nMessage-ID: <a@b>\nFrom: a@b.c\nTo: d@e.f\n");
    CHECK(full.header_recipients == std::vector<std::string> { "d@e.f" });
}

TEST_CASE("process_header makes From: from the identity", "[inject][message]")
{
    struct Case {
        std::optional<std::string> host;
        std::optional<std::string> name;
        bool comment;
        std::string want;
    };
    std::vector<Case> const cases = {
        { std::nullopt, std::nullopt, false, "From: joe@dh.example\n" },
        { "h.example", std::nullopt, false, "From: joe@h.example\n" },
        { "h", std::nullopt, false, "From: joe@h.dd.example\n" },
        { "h.example", "Joe User", false, "From: Joe User <joe@h.example>\n" },
        { "h.example", "Joe Q. User", false, "From: \"Joe Q. User\" <joe@h.example>\n" },
        { "h.example", "Say \"hi\"", false, "From: \"Say \\\"hi\\\"\" <joe@h.example>\n" },
        { "h.example", "J\xc3\xb6rg", false, "From: J\xc3\xb6rg <joe@h.example>\n" },
        { "h.example", "Joe User", true, "From: joe@h.example (Joe User)\n" },
        { "h.example", "A (b) c", true, "From: joe@h.example (A \\(b\\) c)\n" },
        { "h.example", "", false, "From: joe@h.example\n" },
        { "h.example", "Two\nLines", false, "From: Two Lines <joe@h.example>\n" },
    };
    for (auto const& c : cases) {
        auto s = base_settings();
        s.identity.host = c.host;
        s.identity.name = c.name;
        s.flags.name_comment = c.comment;
        INFO("name: " << c.name.value_or("(none)"));
        auto m = process_ok({ "To: a@b.c\n" }, s);
        CHECK(m.header == kDate + kMessageId + c.want + "To: a@b.c\n");
    }
    auto s = base_settings();
    s.identity.user = "john doe";
    CHECK(process_ok({ "To: a@b.c\n" }, s).header.find("From: \"john doe\"@dh.example\n")
        != std::string::npos);
}

TEST_CASE("process_header rewrites address fields and removes some fields", "[inject][message]")
{
    auto m = process_ok(
        {
            "From: joe\n",
            "To: ann, bob@box\n",
            "Cc: carl@c.example\n",
            "Bcc: hidden\n",
            "Apparently-To: app\n",
            "Reply-To: r\n",
            "Content-Length: 12\n",
            "Subject: Re: ann, bob\n",
            "X-Other: keep <as is>\n",
        },
        base_settings());
    CHECK(m.header
        == kDate + kMessageId
            + "From: joe@dh.example\nTo: ann@dh.example, bob@box.dd.example\n"
              "Cc: carl@c.example\nApparently-To: app@dh.example\nReply-To: r@dh.example\n"
              "Subject: Re: ann, bob\nX-Other: keep <as is>\n");
    CHECK(m.header_recipients
        == std::vector<std::string> { "ann@dh.example", "bob@box.dd.example", "carl@c.example",
            "hidden@dh.example", "app@dh.example" });
}

TEST_CASE(
    "process_header takes the sender from Return-Path unless told not to", "[inject][message]")
{
    auto s = base_settings();
    auto m = process_ok({ "Return-Path: <rp@host>\n", "To: a@b.c\n" }, s);
    CHECK(m.sender == "rp@host.dd.example");
    CHECK(m.header.find("Return-Path") == std::string::npos);

    CHECK(process_ok({ "Return-Path: <>\n", "To: a@b.c\n" }, s).sender.empty());
    CHECK(
        process_ok({ "Return-Path: <a@x.y>\n", "Return-Path: <b@x.y>\n", "To: a@b.c\n" }, s).sender
        == "a@x.y");

    s.flags.delete_return_path = true;
    CHECK(process_ok({ "Return-Path: <rp@host>\n", "To: a@b.c\n" }, s).sender == "joe@dh.example");

    s = base_settings();
    s.envelope_sender = "f@x.y";
    CHECK(process_ok({ "Return-Path: <rp@host>\n", "To: a@b.c\n" }, s).sender == "f@x.y");

    s = base_settings();
    s.flags.verp_recipient = true;
    CHECK(process_ok({ "Return-Path: <rp@h.x>\n", "To: a@b.c\n" }, s).sender == "rp@h.x-@[]");
}

TEST_CASE("default_sender follows the identity and the VERP flags", "[inject][message]")
{
    auto rw = make_rewriter();
    Identity id;
    id.sender_user = "joe";
    auto sender = [&](Flags flags) {
        auto got = default_sender(id, flags, rw, 1000, 77);
        REQUIRE(got);
        return *got;
    };
    CHECK(sender({}) == "joe@dh.example");
    id.sender_host = "s.example";
    CHECK(sender({}) == "joe@s.example");
    Flags r;
    r.verp_recipient = true;
    CHECK(sender(r) == "joe-@s.example-@[]");
    Flags m;
    m.verp_message = true;
    CHECK(sender(m) == "joe-1000.77@s.example");
    m.verp_recipient = true;
    CHECK(sender(m) == "joe-1000.77-@s.example-@[]");
}

TEST_CASE("process_header handles resent messages", "[inject][message]")
{
    auto m = process_ok(
        { "From: a@b.c\n", "To: orig@b.c\n", "Resent-To: new@b.c\n", "Resent-Bcc: hid@b.c\n" },
        base_settings());
    CHECK(m.resent);
    CHECK(m.header
        == "Resent-" + kDate + "Resent-" + kMessageId
            + "Resent-From: joe@dh.example\nFrom: a@b.c\nTo: orig@b.c\nResent-To: new@b.c\n");
    CHECK(m.header_recipients == std::vector<std::string> { "new@b.c", "hid@b.c" });

    auto bcc_only = process_ok({ "Resent-Bcc: hid@b.c\n" }, base_settings());
    CHECK(bcc_only.header.find("Resent-Cc: recipient list not shown: ;\n") != std::string::npos);
    CHECK(bcc_only.header.find("\nCc:") == std::string::npos);
}

TEST_CASE("process_header applies the deletion flags", "[inject][message]")
{
    auto s = base_settings();
    s.flags.delete_from = true;
    s.flags.delete_message_id = true;
    auto m = process_ok({ "From: old@b.c\n", "Message-ID: <old@b.c>\n", "To: a@b.c\n" }, s);
    CHECK(m.header == kDate + kMessageId + "From: joe@dh.example\nTo: a@b.c\n");
}

TEST_CASE("process_header adds Mail-Followup-To for known lists", "[inject][message]")
{
    auto s = base_settings();
    s.followup_lists = { "list@lists.example" };
    auto m
        = process_ok({ "From: a@b.c\n", "To: ann@b.c, LIST@lists.example\n", "Cc: x y@b.c\n" }, s);
    CHECK(m.header.find("Mail-Followup-To: ann@b.c,\n  LIST@lists.example,\n  x@dh.example,\n"
                        "  y@b.c\n")
        != std::string::npos);
    auto none = process_ok({ "From: a@b.c\n", "To: ann@b.c\n" }, s);
    CHECK(none.header.find("Mail-Followup-To") == std::string::npos);
    auto has = process_ok(
        { "From: a@b.c\n", "To: list@lists.example\n", "Mail-Followup-To: me@b.c\n" }, s);
    CHECK(has.header.find("Mail-Followup-To: list") == std::string::npos);
}

TEST_CASE("process_header refuses what it cannot parse, naming the line", "[inject][message]")
{
    CHECK(refused({ "To: a@b.c\n", "Bad Name: x\n" })
        == "unable to parse header line 2: invalid header field name: Bad Name: x");
    CHECK(refused({ "Subject: x\n folded\n", "To: \"open\n" })
        == "unable to parse header line 3: unterminated quoted string: To: \"open");
    CHECK(refused({ "From: <a@b\n" })
        == "unable to parse header line 1: unterminated angle address: From: <a@b");
    CHECK(
        refused({ "Cc: g: a\n" }) == "unable to parse header line 1: unterminated group: Cc: g: a");
    CHECK(refused({ "To: a\x01(\n" })
        == "unable to parse header line 1: unterminated comment: To: a?(");
    CHECK(refused({ "To: a@b.c\n", "Subject: fine \"unbalanced\n" }) == "(accepted)");
}

TEST_CASE("field names and message ids", "[inject][message]")
{
    CHECK(field_name_of("To: x") == "To");
    CHECK(field_name_of("To \t: x") == "To");
    CHECK(valid_field_name("X-Mailer"));
    CHECK_FALSE(valid_field_name(""));
    CHECK_FALSE(valid_field_name("Bad Name"));
    CHECK_FALSE(valid_field_name("8bit\xe9"));
    CHECK(message_id_field(0, 1, "x", "h") == "Message-ID: <19700101000000.1.x@h>\n");
}
