// mime - the MIME structure of a message (RFC 2045/2046) as IMAP shows it: ENVELOPE,
// BODY and BODYSTRUCTURE strings and the bytes of BODY[section] (RFC 3501 6.4.5, 7.4.2).
//
//     std::string text = imapd::to_crlf(file_bytes);   // IMAP counts CRLF line ends
//     imapd::Part root = imapd::parse_message(text);
//     std::string env = imapd::envelope(text, root);   // "(\"date\" \"subject\" ...)"
//     std::string bs = imapd::body_structure(text, root, true);
//     auto bytes = imapd::section_text(text, root, section); // nullopt: no such part
//
// Parsing never fails: a message without a header, with a broken Content-Type or with
// a missing final boundary still gets a structure (the defaults of RFC 2045: text/plain
// in us-ascii, 7bit). Nesting is limited to kMaxDepth levels; deeper parts are leaves.
#pragma once

#include "command.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imapd {

inline constexpr int kMaxDepth = 20;

struct Param {
    std::string name;
    std::string value;
};

struct Part {
    size_t header_begin = 0;
    size_t body_begin = 0; // just after the empty line that ends the header
    size_t end = 0;
    bool has_content_type = false;
    std::string type = "text";
    std::string subtype = "plain";
    std::vector<Param> params;
    std::optional<std::string> id, description, encoding, md5, location, language;
    std::optional<std::string> disposition;
    std::vector<Param> disposition_params;
    size_t lines = 0;
    std::vector<Part> children; // parts of a multipart, or the message of a message/rfc822

    bool multipart() const;
    bool rfc822() const;
};

// The message with every bare LF turned into CRLF.
std::string to_crlf(std::string_view text);
// The size a message will have once converted, without converting it.
size_t crlf_size(std::string_view text);

Part parse_message(std::string_view text);

std::string envelope(std::string_view text, Part const& message);
std::string body_structure(std::string_view text, Part const& message, bool extensible);
std::optional<std::string> section_text(
    std::string_view text, Part const& root, Section const& section);

// The unfolded value of the first header field named name in the header of message.
std::optional<std::string> header_value(
    std::string_view text, Part const& message, std::string_view name);

// "Date:" values as RFC 5322 writes them -> seconds since the epoch (the zone applied).
std::optional<time_t> parse_rfc822_date(std::string_view value);

} // namespace imapd
