#include "parser.hpp"

#include <algorithm>
#include <charconv>

namespace imapd {

namespace {

bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool is_list_wildcard(char c)
{
    return c == '%' || c == '*';
}

// Whether a literal announced after text of text_size bytes keeps the command within its
// limits (a big literal only for APPEND).
bool literal_fits(LiteralMark const& mark, size_t text_size, bool appending)
{
    uint64_t const limit = appending ? kMaxLiteral : kMaxSmallLiteral;
    return mark.size <= limit && text_size + mark.size <= kMaxCommand + kMaxLiteral;
}

// "tag APPEND ...": the first line of the only command that may carry a big literal.
bool names_append(std::string_view line)
{
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos)
        return false;
    Cursor verb(line.substr(sp + 1));
    return verb.keyword("APPEND");
}

} // namespace

std::optional<LiteralMark> literal_at_end(std::string_view line)
{
    if (line.size() < 3 || line.back() != '}')
        return std::nullopt;
    size_t end = line.size() - 1;
    LiteralMark mark;
    if (line[end - 1] == '+') {
        mark.synchronizing = false;
        --end;
    }
    size_t start = end;
    while (start > 0 && is_digit(line[start - 1]))
        --start;
    if (start == end || start == 0 || line[start - 1] != '{' || end - start > 19)
        return std::nullopt;
    auto [ptr, ec] = std::from_chars(line.data() + start, line.data() + end, mark.size);
    if (ec != std::errc() || ptr != line.data() + end)
        return std::nullopt;
    mark.start = start - 1;
    return mark;
}

mta::Status CommandReader::discard(uint64_t bytes)
{
    char buf[8192];
    while (bytes > 0) {
        auto got = m_in.read(buf, static_cast<size_t>(std::min<uint64_t>(bytes, sizeof buf)));
        if (!got)
            return got.error();
        if (*got == 0)
            return mta::Error::plain("end of input in a literal");
        bytes -= *got;
    }
    return {};
}

mta::Result<ReadStatus> CommandReader::read(std::string& text)
{
    text.clear();
    std::optional<ReadStatus> failure; // over a limit: the rest of the command is discarded
    bool appending = false;
    std::string line;
    for (bool first = true;; first = false) {
        auto got = m_in.get_line(line, kMaxLine);
        if (!got)
            return got.error();
        if (*got == mta::LineStatus::eof || *got == mta::LineStatus::partial)
            return ReadStatus::eof; // a command cut off by the end of input is not run
        if (*got == mta::LineStatus::too_long)
            return skip_long_line(line, failure.has_value(), text);
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (first)
            appending = m_big_append && names_append(line);
        auto mark = literal_at_end(line);
        if (!failure && text.size() + line.size() > kMaxCommand)
            failure = ReadStatus::too_long;
        else if (!failure)
            text += line;
        if (!mark)
            return failure.value_or(ReadStatus::command);
        if (!failure && !literal_fits(*mark, text.size(), appending))
            failure = ReadStatus::literal_too_big;
        if (failure && mark->synchronizing)
            return *failure; // the client waits for "+" and abandons the command
        if (failure) {
            if (auto st = discard(mark->size); !st)
                return st.error();
            continue;
        }
        auto whole = read_literal(*mark, text);
        if (!whole)
            return whole.error();
        if (!*whole)
            return ReadStatus::eof;
    }
}

// After a line over kMaxLine: its start goes into text (for the tag) unless the command
// already failed; the rest of it is discarded.
mta::Result<ReadStatus> CommandReader::skip_long_line(
    std::string const& line, bool failed, std::string& text)
{
    if (auto st = m_in.skip_line(); !st)
        return st.error();
    if (!failed && text.size() < 200)
        text.append(line, 0, 200);
    return ReadStatus::too_long;
}

// Answers "+ OK" to a synchronizing literal, then appends CRLF and the literal's bytes to
// text. False when the input ends inside it.
mta::Result<bool> CommandReader::read_literal(LiteralMark const& mark, std::string& text)
{
    if (mark.synchronizing) {
        if (auto st = m_out.put("+ OK\r\n"); !st)
            return st.error();
        if (auto st = m_out.flush(); !st)
            return st.error();
    }
    text += "\r\n";
    size_t const old = text.size();
    text.resize(old + static_cast<size_t>(mark.size));
    size_t have = 0;
    while (have < mark.size) {
        auto n = m_in.read(text.data() + old + have, static_cast<size_t>(mark.size) - have);
        if (!n)
            return n.error();
        if (*n == 0)
            return false;
        have += *n;
    }
    return true;
}

std::optional<SeqSet> SeqSet::parse(std::string_view text)
{
    SeqSet set;
    size_t pos = 0;
    auto number = [&](uint32_t& out) {
        if (pos < text.size() && text[pos] == '*') {
            ++pos;
            out = 0;
            return true;
        }
        size_t start = pos;
        while (pos < text.size() && is_digit(text[pos]))
            ++pos;
        if (start == pos || text[start] == '0')
            return false;
        auto [ptr, ec] = std::from_chars(text.data() + start, text.data() + pos, out);
        return ec == std::errc() && out != 0;
    };
    while (true) {
        SeqRange range;
        if (!number(range.low))
            return std::nullopt;
        range.high = range.low;
        if (pos < text.size() && text[pos] == ':') {
            ++pos;
            if (!number(range.high))
                return std::nullopt;
        }
        set.m_ranges.push_back(range);
        if (pos == text.size())
            return set;
        if (text[pos] != ',')
            return std::nullopt;
        ++pos;
    }
}

bool SeqSet::contains(uint32_t n, uint32_t largest) const
{
    for (auto const& r : m_ranges) {
        uint32_t a = r.low == 0 ? largest : r.low;
        uint32_t b = r.high == 0 ? largest : r.high;
        if (a > b)
            std::swap(a, b);
        if (n >= a && n <= b)
            return true;
    }
    return false;
}

std::string SeqSet::format(std::vector<uint32_t> values)
{
    std::sort(values.begin(), values.end());
    std::string out;
    for (size_t i = 0; i < values.size();) {
        size_t j = i;
        while (j + 1 < values.size() && values[j + 1] <= values[j] + 1)
            ++j;
        if (!out.empty())
            out += ',';
        out += std::to_string(values[i]);
        if (values[j] != values[i])
            out += ':' + std::to_string(values[j]);
        i = j + 1;
    }
    return out;
}

bool is_atom_char(char c)
{
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f)
        return false;
    switch (c) {
    case '(':
    case ')':
    case '{':
    case '%':
    case '*':
    case '"':
    case '\\':
    case ']':
        return false;
    default:
        return true;
    }
}

bool Cursor::eat(char c)
{
    if (at_end() || m_text[m_pos] != c)
        return false;
    ++m_pos;
    return true;
}

bool Cursor::keyword(std::string_view word)
{
    if (m_text.size() - m_pos < word.size())
        return false;
    for (size_t i = 0; i < word.size(); ++i) {
        char a = m_text[m_pos + i];
        if (a >= 'a' && a <= 'z')
            a = static_cast<char>(a - 32);
        if (a != word[i])
            return false;
    }
    size_t after = m_pos + word.size();
    if (after < m_text.size() && is_atom_char(m_text[after]) && m_text[after] != '['
        && m_text[after] != '.' && m_text[after] != '<')
        return false;
    m_pos = after;
    return true;
}

std::optional<std::string> Cursor::tag()
{
    size_t start = m_pos;
    while (!at_end() && is_atom_char(m_text[m_pos]) && m_text[m_pos] != '+')
        ++m_pos;
    if (start == m_pos)
        return std::nullopt;
    return std::string(m_text.substr(start, m_pos - start));
}

std::optional<std::string> Cursor::atom()
{
    size_t start = m_pos;
    while (!at_end() && is_atom_char(m_text[m_pos]))
        ++m_pos;
    if (start == m_pos)
        return std::nullopt;
    return std::string(m_text.substr(start, m_pos - start));
}

std::optional<std::string> Cursor::quoted()
{
    if (!eat('"'))
        return std::nullopt;
    std::string out;
    while (!at_end()) {
        char c = m_text[m_pos++];
        if (c == '"')
            return out;
        if (c == '\\') {
            if (at_end() || (m_text[m_pos] != '"' && m_text[m_pos] != '\\'))
                return std::nullopt;
            c = m_text[m_pos++];
        } else if (c == '\r' || c == '\n' || c == '\0') {
            return std::nullopt;
        }
        out += c;
    }
    return std::nullopt;
}

std::optional<std::string> Cursor::literal()
{
    if (!eat('{'))
        return std::nullopt;
    size_t start = m_pos;
    while (!at_end() && is_digit(m_text[m_pos]))
        ++m_pos;
    uint64_t size = 0;
    auto [ptr, ec] = std::from_chars(m_text.data() + start, m_text.data() + m_pos, size);
    if (start == m_pos || ec != std::errc())
        return std::nullopt;
    eat('+');
    if (!eat('}') || !eat('\r') || !eat('\n') || size > m_text.size() - m_pos)
        return std::nullopt;
    std::string out(m_text.substr(m_pos, static_cast<size_t>(size)));
    m_pos += static_cast<size_t>(size);
    return out;
}

std::optional<std::string> Cursor::string()
{
    if (peek() == '"')
        return quoted();
    if (peek() == '{')
        return literal();
    return std::nullopt;
}

std::optional<std::string> Cursor::astring()
{
    if (peek() == '"' || peek() == '{')
        return string();
    size_t start = m_pos;
    while (!at_end() && (is_atom_char(m_text[m_pos]) || m_text[m_pos] == ']'))
        ++m_pos;
    if (start == m_pos)
        return std::nullopt;
    return std::string(m_text.substr(start, m_pos - start));
}

std::optional<std::string> Cursor::list_mailbox()
{
    if (peek() == '"' || peek() == '{')
        return string();
    size_t start = m_pos;
    while (!at_end()
        && (is_atom_char(m_text[m_pos]) || is_list_wildcard(m_text[m_pos]) || m_text[m_pos] == ']'))
        ++m_pos;
    if (start == m_pos)
        return std::nullopt;
    return std::string(m_text.substr(start, m_pos - start));
}

std::optional<uint64_t> Cursor::number64()
{
    size_t start = m_pos;
    while (!at_end() && is_digit(m_text[m_pos]))
        ++m_pos;
    uint64_t value = 0;
    auto [ptr, ec] = std::from_chars(m_text.data() + start, m_text.data() + m_pos, value);
    if (start == m_pos || ec != std::errc())
        return std::nullopt;
    return value;
}

std::optional<uint32_t> Cursor::number()
{
    auto n = number64();
    if (!n || *n > UINT32_MAX)
        return std::nullopt;
    return static_cast<uint32_t>(*n);
}

std::optional<uint32_t> Cursor::nz_number()
{
    auto n = number();
    if (!n || *n == 0)
        return std::nullopt;
    return n;
}

std::optional<SeqSet> Cursor::seq_set()
{
    size_t start = m_pos;
    while (!at_end()
        && (is_digit(m_text[m_pos]) || m_text[m_pos] == ':' || m_text[m_pos] == ','
            || m_text[m_pos] == '*'))
        ++m_pos;
    return SeqSet::parse(m_text.substr(start, m_pos - start));
}

std::optional<std::string> Cursor::flag()
{
    if (eat('\\')) {
        if (eat('*'))
            return std::string("\\*");
        auto name = atom();
        if (!name)
            return std::nullopt;
        return "\\" + *name;
    }
    return atom();
}

std::optional<std::vector<std::string>> Cursor::flag_list()
{
    if (!eat('('))
        return std::nullopt;
    std::vector<std::string> out;
    if (eat(')'))
        return out;
    while (true) {
        auto f = flag();
        if (!f)
            return std::nullopt;
        out.push_back(std::move(*f));
        if (eat(')'))
            return out;
        if (!sp())
            return std::nullopt;
    }
}

std::string quote(std::string_view text)
{
    bool literal = text.size() > 1000;
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if (u == 0 || u == '\r' || u == '\n' || u >= 0x80)
            literal = true;
    }
    if (literal) {
        std::string out = "{" + std::to_string(text.size()) + "}\r\n";
        out += text;
        return out;
    }
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    out += '"';
    return out;
}

std::string nstring(std::optional<std::string_view> text)
{
    return text ? quote(*text) : std::string("NIL");
}

bool valid_mailbox_name(std::string_view name)
{
    if (name.empty() || name.size() > 255 || name.front() == '.' || name.back() == '.')
        return false;
    if (name.find("..") != std::string_view::npos)
        return false;
    for (char c : name) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f || u >= 0x80 || c == '/' || c == '*' || c == '%')
            return false;
    }
    return true;
}

std::string upper(std::string s)
{
    for (char& c : s)
        if (c >= 'a' && c <= 'z')
            c = static_cast<char>(c - 32);
    return s;
}

} // namespace imapd
