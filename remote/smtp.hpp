// smtp - the pieces of the client side of SMTP that need no network: replies with
// continuation lines, the EHLO keywords, the transparency of the DATA stream, and what
// the message needs (size, 8-bit).
//
//     auto reply = remote::read_reply(in);            // "250-a\r\n250 b\r\n" -> 250, "250-a\n250
//     b" if (!reply) ...                                  // the connection died or timed out
//     remote::Extensions ext = remote::parse_ehlo(reply->text);
//     remote::DataEncoder enc;
//     std::string wire;
//     enc.feed(chunk, wire);  ...  enc.finish(wire);  // CRLF, dot-stuffing, ".\r\n"
//
// read_reply's errors are the Reader's; the end of the input is
// Error::plain("connection closed") (nothing failed, so no errno text follows).
#pragma once

#include "buffer.hpp"
#include "error.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace remote {

// The reply text kept for a report (qmail-remote's smtptext cap).
inline constexpr size_t kMaxReplyText = 5000;
// One reply line longer than this is cut (the rest is read and dropped).
inline constexpr size_t kMaxReplyLine = 4096;

struct Reply {
    int code = 0; // of the last line; 0 when a line did not start with three digits
    std::string text; // every line, CRs removed, joined with LF, at most kMaxReplyText

    bool positive() const { return code >= 200 && code < 400; }
    bool permanent() const { return code >= 500 && code < 600; }
};

mta::Result<Reply> read_reply(mta::Reader& in);

// The reply parsed from complete lines (each without CRLF); pure.
Reply parse_reply_lines(std::vector<std::string> const& lines);

struct Extensions {
    bool pipelining = false;
    bool size = false;
    unsigned long long size_limit = 0; // 0: none announced
    bool eightbitmime = false;
    bool smtputf8 = false;
    bool starttls = false;
};

// The keywords of an EHLO reply's text (its first line is the greeting, not a keyword).
Extensions parse_ehlo(std::string_view text);

// Turns the queue's LF message into the DATA stream: LF and CRLF become CRLF, a bare CR
// becomes CRLF, a line starting with '.' gets another '.', and finish() adds a CRLF after
// a partial last line and then ".\r\n".
class DataEncoder {
public:
    void feed(std::string_view bytes, std::string& out);
    void finish(std::string& out);

private:
    bool m_line_start = true;
    bool m_pending_cr = false;
};

// What the MAIL command needs to know about a message.
struct MessageFacts {
    unsigned long long wire_size = 0; // bytes on the wire, without the final dot
    bool eightbit = false;
};
MessageFacts message_facts(std::string_view bytes, MessageFacts so_far = {});

// True when an address holds a byte >= 0x80 (SMTPUTF8 is needed).
bool needs_utf8(std::string_view address);

} // namespace remote
