#include "header.hpp"

namespace mta {

namespace {

const char kContinuationFirst[] = "continuation line at start of header";
const char kNoColon[] = "header line without colon";
const char kBadName[] = "invalid header field name";
const char kTooLong[] = "header field too long";
const char kTooMany[] = "too many header fields";

bool is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

// RFC 5322 ftext: printable ASCII except the colon.
bool is_ftext(char c)
{
    auto u = static_cast<unsigned char>(c);
    return u >= 33 && u <= 126 && c != ':';
}

struct Line {
    std::size_t content_end; // before the LF or CRLF (or a lone CR at the end of input)
    std::size_t next; // where the next line starts
};

Line line_at(std::string_view text, std::size_t pos)
{
    std::size_t lf = text.find('\n', pos);
    std::size_t next = lf == std::string_view::npos ? text.size() : lf + 1;
    std::size_t end = lf == std::string_view::npos ? text.size() : lf;
    if (end > pos && text[end - 1] == '\r')
        --end;
    return { end, next };
}

// Length of "Name:" or "Name :" at the start of line, without the colon; 0 if the line
// does not start a field. *name_length gets the length of the name alone.
std::size_t field_prefix(std::string_view line, std::size_t* name_length)
{
    std::size_t end = 0;
    while (end < line.size() && is_ftext(line[end]))
        ++end;
    *name_length = end;
    std::size_t colon = end;
    while (colon < line.size() && is_wsp(line[colon]))
        ++colon;
    if (end == 0 || colon == line.size() || line[colon] != ':')
        return 0;
    return colon;
}

} // namespace

std::optional<HeaderField> HeaderReader::next()
{
    if (m_end != HeaderEnd::kNotEnded)
        return std::nullopt;
    if (m_pos >= m_text.size())
        return stop(HeaderEnd::kEndOfInput, nullptr);
    Line line = line_at(m_text, m_pos);
    if (line.content_end == m_pos) {
        m_end = HeaderEnd::kBlankLine;
        m_pos = line.next;
        return std::nullopt;
    }
    std::string_view first = m_text.substr(m_pos, line.content_end - m_pos);
    if (is_wsp(first[0]))
        return stop(HeaderEnd::kMalformedLine, kContinuationFirst);
    std::size_t name_length = 0;
    std::size_t colon = field_prefix(first, &name_length);
    if (colon == 0) {
        bool has_colon = first.find(':') != std::string_view::npos;
        return stop(HeaderEnd::kMalformedLine, has_colon ? kBadName : kNoColon);
    }
    if (m_fields >= m_limits.max_fields)
        return stop(HeaderEnd::kLimit, kTooMany);
    std::size_t value_end = line.content_end;
    std::size_t next = line.next;
    std::size_t lines = 1;
    // Continuation lines; the length check stops a huge field early.
    while (
        next < m_text.size() && is_wsp(m_text[next]) && next - m_pos <= m_limits.max_field_length) {
        Line more = line_at(m_text, next);
        value_end = more.content_end;
        next = more.next;
        ++lines;
    }
    if (next - m_pos > m_limits.max_field_length)
        return stop(HeaderEnd::kLimit, kTooLong);
    std::size_t value_start = m_pos + colon + 1;
    HeaderField field { first.substr(0, name_length),
        m_text.substr(value_start, value_end - value_start), m_pos, next - m_pos };
    m_pos = next;
    m_line += lines;
    ++m_fields;
    return field;
}

std::optional<HeaderField> HeaderReader::stop(HeaderEnd end, const char* error)
{
    m_end = end;
    m_error = error;
    return std::nullopt;
}

Status HeaderReader::status() const
{
    if (m_error != nullptr)
        return Error::plain(m_error);
    return {};
}

std::string unfold(std::string_view raw_value)
{
    std::string out;
    out.reserve(raw_value.size());
    for (std::size_t i = 0; i < raw_value.size(); ++i) {
        std::string_view rest = raw_value.substr(i);
        std::size_t line_end = rest.starts_with("\r\n") ? 2 : rest.starts_with('\n') ? 1 : 0;
        if (line_end != 0 && line_end < rest.size() && is_wsp(rest[line_end])) {
            i += line_end - 1;
            continue;
        }
        out += raw_value[i];
    }
    std::size_t first = out.find_first_not_of(" \t\r\n");
    if (first == std::string::npos)
        return {};
    std::size_t last = out.find_last_not_of(" \t\r\n");
    return out.substr(first, last - first + 1);
}

bool field_name_equals(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
        char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] - 'A' + 'a') : b[i];
        if (x != y)
            return false;
    }
    return true;
}

std::size_t count_fields(std::string_view header_section, std::string_view name)
{
    std::size_t count = 0;
    for (std::size_t pos = 0; pos < header_section.size();) {
        Line line = line_at(header_section, pos);
        if (line.content_end == pos)
            break;
        std::string_view content = header_section.substr(pos, line.content_end - pos);
        std::size_t name_length = 0;
        if (field_prefix(content, &name_length) != 0
            && field_name_equals(content.substr(0, name_length), name))
            ++count;
        pos = line.next;
    }
    return count;
}

std::size_t count_hops(std::string_view header_section)
{
    return count_fields(header_section, "Received") + count_fields(header_section, "Delivered-To");
}

} // namespace mta
