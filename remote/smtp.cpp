#include "smtp.hpp"

#include "domain.hpp"
#include "number.hpp"

#include <algorithm>
#include <cctype>

namespace remote {

namespace {

bool three_digits(std::string_view line)
{
    return line.size() >= 3 && std::isdigit(static_cast<unsigned char>(line[0]))
        && std::isdigit(static_cast<unsigned char>(line[1]))
        && std::isdigit(static_cast<unsigned char>(line[2]));
}

bool continued(std::string_view line)
{
    return three_digits(line) && line.size() > 3 && line[3] == '-';
}

void append_text(std::string& text, std::string_view line)
{
    std::string clean;
    for (char c : line)
        if (c != '\r')
            clean += c;
    if (!text.empty())
        clean.insert(clean.begin(), '\n');
    if (text.size() < kMaxReplyText)
        text.append(clean.substr(0, kMaxReplyText - text.size()));
}

} // namespace

Reply parse_reply_lines(std::vector<std::string> const& lines)
{
    Reply r;
    for (auto const& line : lines)
        append_text(r.text, line);
    if (!lines.empty() && three_digits(lines.back()))
        r.code = (lines.back()[0] - '0') * 100 + (lines.back()[1] - '0') * 10
            + (lines.back()[2] - '0');
    return r;
}

mta::Result<Reply> read_reply(mta::Reader& in)
{
    std::vector<std::string> lines;
    size_t kept = 0;
    std::string line;
    for (;;) {
        auto got = in.get_line(line, kMaxReplyLine);
        if (!got)
            return got.error();
        if (*got == mta::LineStatus::eof || *got == mta::LineStatus::partial)
            return mta::Error::plain("connection closed");
        if (*got == mta::LineStatus::too_long)
            if (auto st = in.skip_line(); !st)
                return st.error();
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        bool const more = continued(line);
        // Keep the first lines up to the text cap, and always the last one (its code).
        if (!more || kept < kMaxReplyText) {
            kept += line.size() + 1;
            lines.push_back(line);
        }
        if (!more)
            return parse_reply_lines(lines);
        if (lines.size() > 1000)
            return mta::Error::plain("reply too long");
    }
}

Extensions parse_ehlo(std::string_view text)
{
    Extensions ext;
    size_t start = text.find('\n');
    while (start != std::string_view::npos) {
        size_t end = text.find('\n', start + 1);
        std::string_view line
            = text.substr(start + 1, end == std::string_view::npos ? end : end - start - 1);
        start = end;
        if (line.size() < 4)
            continue;
        std::string const kw = mta::lowercase_domain(line.substr(4));
        std::string_view word = kw;
        std::string_view arg;
        if (auto sp = word.find(' '); sp != std::string_view::npos) {
            arg = word.substr(sp + 1);
            word = word.substr(0, sp);
        }
        if (word == "pipelining")
            ext.pipelining = true;
        else if (word == "8bitmime")
            ext.eightbitmime = true;
        else if (word == "smtputf8")
            ext.smtputf8 = true;
        else if (word == "starttls")
            ext.starttls = true;
        else if (word == "size") {
            ext.size = true;
            if (auto n = mta::parse_decimal<unsigned long long>(arg))
                ext.size_limit = *n;
        }
    }
    return ext;
}

void DataEncoder::feed(std::string_view bytes, std::string& out)
{
    for (char c : bytes) {
        if (m_pending_cr) {
            m_pending_cr = false;
            out += "\r\n";
            m_line_start = true;
            if (c == '\n')
                continue;
        }
        if (c == '\r') {
            m_pending_cr = true;
            continue;
        }
        if (c == '\n') {
            out += "\r\n";
            m_line_start = true;
            continue;
        }
        if (m_line_start && c == '.')
            out += '.';
        out += c;
        m_line_start = false;
    }
}

void DataEncoder::finish(std::string& out)
{
    if (m_pending_cr || !m_line_start)
        out += "\r\n";
    m_pending_cr = false;
    m_line_start = true;
    out += ".\r\n";
}

MessageFacts message_facts(std::string_view bytes, MessageFacts so_far)
{
    so_far.wire_size
        += bytes.size() + static_cast<size_t>(std::count(bytes.begin(), bytes.end(), '\n'));
    if (!so_far.eightbit)
        so_far.eightbit = std::any_of(bytes.begin(), bytes.end(),
            [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
    return so_far;
}

bool needs_utf8(std::string_view address)
{
    return std::any_of(address.begin(), address.end(),
        [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

} // namespace remote
