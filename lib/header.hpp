// header - the header section of an RFC 5322 message: field iteration, unfolding, hop
// counting.
//
//     mta::HeaderReader reader(message);             // LF, CRLF or both
//     while (auto field = reader.next()) {
//         if (mta::field_name_equals(field->name, "Subject"))
//             subject = mta::unfold(field->raw_value);
//     }
//     if (!reader.status()) return reader.status().error(); // strict; or see end()
//     std::string_view body = message.substr(reader.body_offset());
//
// next() yields fields until the header section ends, then std::nullopt. end() says
// why it ended: a blank line, the end of the input (no body), a line that is not a
// header field (qmail-inject takes it as the first body line: body_offset() is its
// start), or a limit. status() is an Error::plain for the last two, with one of the
// static texts "continuation line at start of header", "header line without colon",
// "invalid header field name", "header field too long", "too many header fields";
// end_line() gives the 1-based number of the line concerned. Values are bytes: 8-bit
// and NUL bytes are passed through untouched.
#pragma once

#include "error.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mta {

struct HeaderField {
    std::string_view name; // without the colon (and without obsolete WSP before it)
    std::string_view raw_value; // after the colon, folding kept, without the final line end
    std::size_t offset = 0; // where the field starts in the message
    std::size_t length = 0; // the whole field with its final line end
};

struct HeaderLimits {
    std::size_t max_field_length = std::size_t { 64 } * 1024; // bytes, with folding and line ends
    std::size_t max_fields = 10000;
};

enum class HeaderEnd {
    kNotEnded, // next() has not returned nullopt yet
    kBlankLine, // the empty line before the body; body_offset() is just after it
    kEndOfInput, // the message has no body
    kMalformedLine, // a line that is not a field; body_offset() is its start
    kLimit, // a field too long or one field too many; body_offset() is its start
};

class HeaderReader {
public:
    explicit HeaderReader(std::string_view message, HeaderLimits limits = {})
        : m_text(message)
        , m_limits(limits)
    {
    }

    std::optional<HeaderField> next();

    HeaderEnd end() const { return m_end; }
    bool ended_by_blank_line() const { return m_end == HeaderEnd::kBlankLine; }
    // Where the body starts, once next() has returned nullopt (see HeaderEnd).
    std::size_t body_offset() const { return m_pos; }
    // 1-based number of the line that ended the header: the blank or malformed line, or
    // the first line of the field over a limit; one past the last line at end of input.
    std::size_t end_line() const { return m_line; }
    // OK unless the header ended by a malformed line or a limit.
    Status status() const;
    std::size_t field_count() const { return m_fields; }

private:
    std::optional<HeaderField> stop(HeaderEnd end, const char* error);

    std::string_view m_text;
    HeaderLimits m_limits;
    std::size_t m_pos = 0;
    std::size_t m_line = 1;
    std::size_t m_fields = 0;
    HeaderEnd m_end = HeaderEnd::kNotEnded;
    const char* m_error = nullptr;
};

// The value with each line break that is followed by a space or tab removed (RFC 5322
// 2.2.3), and spaces, tabs, CR and LF trimmed at both ends.
std::string unfold(std::string_view raw_value);

// Field names compare case-insensitively (ASCII).
bool field_name_equals(std::string_view a, std::string_view b);

// Fields named name (case-insensitive) in the header section, which ends at the first
// empty line (so a whole message may be passed). Like qmail-smtpd, this goes on past
// malformed lines and has no limits: each line is looked at once.
std::size_t count_fields(std::string_view header_section, std::string_view name);

// Received: plus Delivered-To: fields, for mail-loop detection.
std::size_t count_hops(std::string_view header_section);

} // namespace mta
