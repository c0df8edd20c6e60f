// dsn - bounce messages: RFC 3464 delivery status notifications whose first part keeps
// qmail's wording, and the bounce/N paragraphs they are made from.
//
//     // while delivering: one paragraph per permanent failure, appended to bounce/N
//     std::string p = send::bounce_paragraph("bob@example.org", false, "No such user. (#5.1.1)\n");
//     // when the message is finished:
//     send::Dsn dsn;
//     dsn.failed = send::parse_bounce_paragraphs(bounce_file_text);
//     dsn.original = message;                         // or header_section(message)
//     ...
//     std::string text = send::compose_dsn(dsn);      // the whole bounce, header and body
//
// bounce/N holds, per failed recipient, qmail's paragraph "<address>:\n" + report + "\n"
// with a blank line after it: blank lines inside the report are neutralised (the second
// LF becomes '/') and LFs in the address become '_'. One addition: a recipient of the
// remote channel has "R" before the '<', so the DSN looks for an SMTP reply in its report
// only ("Diagnostic-Code: smtp; REPLY"; any other report is "x-unix;").
//
// The DSN (multipart/report; report-type=delivery-status):
//   1. text/plain: "Hi. This is the send program at HOST." and qmail's sentences, the
//      recipient paragraphs, and the "---" break paragraph, so that people and QSBMF
//      parsers read it as a qmail bounce; charset us-ascii, or utf-8 (8bit) when a report
//      has 8-bit bytes, which are made valid UTF-8 first (valid_utf8());
//   2. message/delivery-status: Reporting-MTA, Arrival-Date, and per recipient
//      Final-Recipient, Action: failed, Status (status_code()), Remote-MTA and
//      "Diagnostic-Code: smtp; REPLY" when the report holds an SMTP reply (smtp_report()),
//      else "Diagnostic-Code: x-unix; REPORT";
//   3. the message as message/rfc822 with a Return-Path line first, or only its header as
//      text/rfc822-headers when it is bigger than kMaxReturnedMessage.
// Lines end in LF, as everywhere in the queue. Pure functions: nothing here fails.
#pragma once

#include <cstddef>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace send {

// Messages up to this size go back whole; bigger ones with their header only.
inline constexpr size_t kMaxReturnedMessage = 100 * 1024;

struct FailedRecipient {
    std::string address;
    bool remote = false;
    std::string report; // the report's lines, without a final LF
    bool operator==(FailedRecipient const&) const = default;
};

std::string bounce_paragraph(std::string_view address, bool remote, std::string_view report);
// The paragraphs of bounce/N; text that is not a paragraph is skipped.
std::vector<FailedRecipient> parse_bounce_paragraphs(std::string_view text);

// The enhanced status code a report names: "#5.1.1" (qmail's way) or a bare "5.1.1"
// after a space (an SMTP reply) gives "5.1.1"; class 4 and 5 only; "5.0.0" when there is
// none.
std::string status_code(std::string_view report);

// A report that holds an SMTP reply (remote's "Remote host said: REPLY"): the reply, all
// its lines (continuations "550-..." included), and the exchanger remote names before it
// ("mx.example.org" of "mx.example.org[192.0.2.1]", or the IP address alone; empty when
// the text names none). nullopt when the report has no reply (no connection, DNS, ...).
struct SmtpReport {
    std::string reply;
    std::string host;
};
std::optional<SmtpReport> smtp_report(std::string_view report);

// text with every byte that is not part of a well-formed UTF-8 sequence replaced by '?'.
std::string valid_utf8(std::string_view text);

// The header section of a message, with the empty line that ends it; the whole text
// when there is no empty line.
std::string_view header_section(std::string_view message);

struct Dsn {
    std::string reporting_host; // bouncehost: the greeting and Reporting-MTA
    std::string from; // header From: address, e.g. "MAILER-DAEMON@example.org"
    std::string to; // header To: address (the bounce's recipient)
    std::string return_path; // envelope sender of the failed message
    bool double_bounce = false; // the failed message was itself a bounce
    time_t now = 0;
    time_t arrival = 0; // when the failed message was queued
    std::string message_id; // without the angle brackets
    std::vector<FailedRecipient> failed;
    std::string_view original; // the failed message, or its header section
    bool headers_only = false;
};

std::string compose_dsn(Dsn const& dsn);

} // namespace send
