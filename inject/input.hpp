// input - the message on standard input: the header section read into memory (bounded),
// the body streamed through a fixed buffer with CRLF line ends turned into LF.
//
//     mta::Reader in(0);
//     auto header = inject::read_header(in);           // fields, and how the header ended
//     if (!header) die(header.error());                // "header too long", read errors
//     ... process header->fields ...
//     auto st = inject::copy_body(*header, in, [&](std::string_view piece) { out(piece); });
//
// How the header section ends (as qmail-inject's headerbody): at an empty line; at the
// end of input (the message has no body, and none is invented); or at the first line
// that is not a field, which then starts the body after an inserted empty line. A line
// is a field when it starts "Name:" with a valid name, or "From " (kept as a field named
// MBOX-Line); a line starting with a space or tab continues the field before it. Once one
// field has been read, any line with a colon is taken as a field, so that a field with
// an invalid name is refused by process_header() instead of silently becoming the body.
// A last line without LF gets one. CR before LF is removed in header and body alike;
// other bytes (8-bit, NUL, lone CR) pass untouched.
#pragma once

#include "buffer.hpp"
#include "error.hpp"
#include "message.hpp"

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace inject {

inline constexpr std::size_t kMaxHeaderBytes = 1024 * 1024;

enum class HeaderEnd {
    blank_line,
    end_of_input,
    body_line, // first_body_line is the start of the body
};

struct HeaderSection {
    std::vector<InputField> fields;
    HeaderEnd end = HeaderEnd::end_of_input;
    std::string first_body_line; // as read, with its LF when it had one
};

// Reads up to and including the end of the header section. Error::plain("header too
// long") when it (with the first body line) exceeds max_bytes; read errors carry errno.
mta::Result<HeaderSection> read_header(mta::Reader& in, std::size_t max_bytes = kMaxHeaderBytes);

// CRLF -> LF over a stream cut anywhere, and a final LF when the text does not end with
// one.
class BodyFilter {
public:
    // Writes the converted bytes of in to out, which must hold in.size() + 1 bytes; returns
    // how many.
    std::size_t convert(std::string_view in, char* out);
    // At the end: a CR still held back, and the final LF when needed (out: 2 bytes).
    std::size_t finish(char* out);

private:
    void put(char c, char* out, std::size_t& n);

    bool m_held_cr = false;
    bool m_any = false;
    char m_last = '\n';
};

using Sink = std::function<void(std::string_view)>;

// Everything after the header: the empty line (given or inserted), the first body line
// and the rest of in, in pieces of at most kBufferSize + 1 bytes.
mta::Status copy_body(HeaderSection const& header, mta::Reader& in, Sink const& sink);

} // namespace inject
