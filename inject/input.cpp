#include "input.hpp"

#include <array>

namespace inject {

namespace {

const char kHeaderTooLong[] = "header too long";

bool starts_field(std::string_view line, bool after_field)
{
    if (line.find(':') == std::string_view::npos)
        return false;
    return after_field || valid_field_name(field_name_of(line));
}

} // namespace

mta::Result<HeaderSection> read_header(mta::Reader& in, std::size_t max_bytes)
{
    HeaderSection header;
    std::string line;
    std::size_t used = 0;
    for (std::size_t number = 1;; ++number) {
        auto got = in.get_line(line, max_bytes - used);
        if (!got)
            return got.error();
        if (*got == mta::LineStatus::eof)
            break;
        if (*got == mta::LineStatus::too_long)
            return mta::Error::plain(kHeaderTooLong);
        bool whole = *got == mta::LineStatus::line;
        used += line.size() + (whole ? 1 : 0);
        std::string_view content = line;
        if (whole && content.ends_with('\r'))
            content.remove_suffix(1);
        if (content.empty()) {
            header.end = whole ? HeaderEnd::blank_line : HeaderEnd::end_of_input;
            return header;
        }
        bool after_field = !header.fields.empty();
        if ((content[0] == ' ' || content[0] == '\t') && after_field) {
            header.fields.back().text.append(content).append("\n");
        } else if (content.starts_with("From ")) {
            header.fields.push_back({ "MBOX-Line: " + std::string(content) + "\n", number });
        } else if (content[0] != ' ' && content[0] != '\t' && starts_field(content, after_field)) {
            header.fields.push_back({ std::string(content) + "\n", number });
        } else {
            header.end = HeaderEnd::body_line;
            header.first_body_line = line + (whole ? "\n" : "");
            return header;
        }
        if (!whole)
            break;
    }
    header.end = HeaderEnd::end_of_input;
    return header;
}

void BodyFilter::put(char c, char* out, std::size_t& n)
{
    out[n++] = c;
    m_any = true;
    m_last = c;
}

std::size_t BodyFilter::convert(std::string_view in, char* out)
{
    std::size_t n = 0;
    for (char c : in) {
        if (m_held_cr) {
            m_held_cr = false;
            if (c == '\n') {
                put('\n', out, n);
                continue;
            }
            put('\r', out, n);
        }
        if (c == '\r')
            m_held_cr = true;
        else
            put(c, out, n);
    }
    return n;
}

std::size_t BodyFilter::finish(char* out)
{
    std::size_t n = 0;
    if (m_held_cr) {
        m_held_cr = false;
        put('\r', out, n);
    }
    if (m_any && m_last != '\n')
        put('\n', out, n);
    return n;
}

mta::Status copy_body(HeaderSection const& header, mta::Reader& in, Sink const& sink)
{
    if (header.end == HeaderEnd::end_of_input)
        return {};
    sink("\n");
    BodyFilter filter;
    std::array<char, mta::kBufferSize + 1> out;
    std::string_view first = header.first_body_line;
    while (!first.empty()) {
        std::string_view piece = first.substr(0, mta::kBufferSize);
        first.remove_prefix(piece.size());
        sink({ out.data(), filter.convert(piece, out.data()) });
    }
    std::array<char, mta::kBufferSize> buffer;
    for (;;) {
        auto got = in.read(buffer.data(), buffer.size());
        if (!got)
            return got.error();
        if (*got == 0)
            break;
        sink({ out.data(), filter.convert({ buffer.data(), *got }, out.data()) });
    }
    sink({ out.data(), filter.finish(out.data()) });
    return {};
}

} // namespace inject
