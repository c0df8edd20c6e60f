// message - qmail-inject's header processing: which fields are rewritten, removed and
// added, and where the envelope sender and the header recipients come from.
//
//     inject::MessageSettings settings;              // flags, identity, idhost, time, pid
//     auto outcome = inject::process_header(fields, rewriter, settings);
//     if (auto* bad = std::get_if<inject::HeaderError>(&outcome))
//         die(inject::describe(*bad));               // "unable to parse header line 3: ..."
//     auto& message = std::get<inject::Message>(outcome);
//     // message.header: added fields (Date, Message-ID, From, Cc, Mail-Followup-To or the
//     // Resent- ones), then the kept fields; message.sender; message.header_recipients
//
// Pure: the time, pid and Message-ID's unique part come in through MessageSettings.
#pragma once

#include "rewrite.hpp"

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace inject {

// One header field as read: "Name: value\n" with LF line ends (folding kept), and the
// number of its first line in the input.
struct InputField {
    std::string text;
    std::size_t line = 0;
};

// The QMAILINJECT letters.
struct Flags {
    bool name_comment = false; // c: From: user@host (Name)
    bool delete_return_path = false; // s: drop Return-Path: without using it
    bool delete_from = false; // f: drop From: (a new one is made)
    bool delete_message_id = false; // i: drop Message-ID: (a new one is made)
    bool verp_recipient = false; // r: per-recipient VERP ("-@[]" sender suffix)
    bool verp_message = false; // m: per-message VERP ("-TIME.PID" in the sender)
};

// Who is sending, from the environment (and -F).
struct Identity {
    std::string user; // From: box
    std::optional<std::string> host; // From: host; rewriting completes it when absent
    std::optional<std::string> name; // personal name
    std::string sender_user; // envelope sender box
    std::optional<std::string> sender_host;
};

struct MessageSettings {
    Flags flags;
    Identity identity;
    std::string idhost;
    std::optional<std::string> envelope_sender; // -f, already rewritten; wins over all
    std::vector<std::string> followup_lists; // QMAILMFTFILE addresses
    time_t now = 0;
    long pid = 0;
    std::string unique; // the Message-ID part that tells apart ids of the same second and pid
};

struct Message {
    std::string header; // the header as queued, LF line ends
    std::string sender; // envelope sender ("" for the null sender)
    // To, Cc, Bcc, Apparently-To; or Resent-To, Resent-Cc, Resent-Bcc for resent messages.
    std::vector<std::string> header_recipients;
    bool resent = false;
};

struct HeaderError {
    std::size_t line = 0; // input line of the field; 0 when not about an input line
    std::string reason;
    std::string excerpt; // the field's first line, shortened, control bytes as '?'
};

// The name of a header line: the bytes before its first colon, blanks before the colon
// removed; a line without a colon gives the whole line.
std::string_view field_name_of(std::string_view line);

// RFC 5322 field names: printable ASCII without space, not empty.
bool valid_field_name(std::string_view name);

// "unable to parse header line N: REASON: EXCERPT", or the reason alone for line 0.
std::string describe(HeaderError const& error);

std::variant<Message, HeaderError> process_header(std::vector<InputField> const& fields,
    Rewriter const& rewriter, MessageSettings const& settings);

// The envelope sender made from the identity (QMAILSUSER@QMAILSHOST and fallbacks), with
// the VERP flags applied; rewritten like every address.
mta::Result<std::string> default_sender(
    Identity const& identity, Flags const& flags, Rewriter const& rewriter, time_t now, long pid);

// "Message-ID: <YYYYMMDDHHMMSS.PID.UNIQUE@idhost>\n" (UTC).
std::string message_id_field(
    time_t now, long pid, std::string_view unique, std::string_view idhost);

} // namespace inject
