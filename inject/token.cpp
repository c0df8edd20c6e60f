#include "token.hpp"

#include <cstring>

namespace inject {

namespace {

const char kNul[] = "NUL byte in address field";
const char kOpenComment[] = "unterminated comment";
const char kCloseParen[] = "unexpected ')'";
const char kOpenQuote[] = "unterminated quoted string";
const char kOpenLiteral[] = "unterminated domain literal";
const char kCloseBracket[] = "unexpected ']'";
const char kBackslash[] = "backslash at end of field";
const char kBackslashBreak[] = "backslash before a line break";
const char kOpenAngle[] = "unterminated angle address";
const char kCloseAngle[] = "unexpected '>'";
const char kNestedAngle[] = "unexpected '<' inside angle address";
const char kSemicolon[] = "unexpected ';' outside a group";
const char kNestedGroup[] = "unexpected ':' inside a group";
const char kOpenGroup[] = "unterminated group";

bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Bytes that end an atom: white space and the RFC 5322 specials.
bool ends_atom(char c)
{
    return is_space(c) || c == '\0' || std::strchr("()<>[]:;@,.\"", c) != nullptr;
}

// RFC 5322 atext; bytes >= 0x80 count too (RFC 6532).
bool is_atext(char c)
{
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x80)
        return true;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr;
}

// CR and LF inside a quoted string, comment or literal: folding, or stray bytes that no
// header may hold there; both are removed.
bool is_line_break(std::string_view s, std::size_t i)
{
    return s[i] == '\n' || s[i] == '\r';
}

// The byte after a backslash: not NUL, and not a line break (a quoted-pair cannot hold
// one, and folding must stay removable).
mta::Status check_escaped(char c)
{
    if (c == '\0')
        return mta::Error::plain(kNul);
    if (c == '\r' || c == '\n')
        return mta::Error::plain(kBackslashBreak);
    return {};
}

struct Scan {
    std::string_view s;
    std::size_t i; // at the opening character
};

// A quoted string or domain literal starting at scan.i; scan.i ends after the closing
// character. The content is decoded: backslash escapes and line breaks removed.
mta::Result<std::string> scan_delimited(Scan& scan, char close, const char* unterminated)
{
    std::string text;
    std::size_t i = scan.i + 1;
    for (;; ++i) {
        if (i >= scan.s.size())
            return mta::Error::plain(unterminated);
        char c = scan.s[i];
        if (c == '\0')
            return mta::Error::plain(kNul);
        if (c == close)
            break;
        if (is_line_break(scan.s, i))
            continue;
        if (c == '\\') {
            if (++i >= scan.s.size())
                return mta::Error::plain(unterminated);
            if (auto st = check_escaped(scan.s[i]); !st)
                return st.error();
        }
        text += scan.s[i];
    }
    scan.i = i + 1;
    return text;
}

// A comment starting at scan.i: the raw text between the outer parentheses, nested
// comments and escapes kept, line breaks removed.
mta::Result<std::string> scan_comment(Scan& scan)
{
    std::string text;
    int depth = 1;
    std::size_t i = scan.i + 1;
    for (;; ++i) {
        if (i >= scan.s.size())
            return mta::Error::plain(kOpenComment);
        char c = scan.s[i];
        if (c == '\0')
            return mta::Error::plain(kNul);
        if (is_line_break(scan.s, i))
            continue;
        if (c == '\\') {
            if (i + 1 >= scan.s.size())
                return mta::Error::plain(kOpenComment);
            if (auto st = check_escaped(scan.s[i + 1]); !st)
                return st.error();
            text += c;
            text += scan.s[++i];
            continue;
        }
        if (c == '(')
            ++depth;
        if (c == ')' && --depth == 0)
            break;
        text += c;
    }
    scan.i = i + 1;
    return text;
}

// An atom starting at scan.i. A backslash takes the next byte literally; an atom that is
// not all atext becomes a quoted string.
mta::Result<Token> scan_atom(Scan& scan)
{
    Token token { TokenType::atom, {} };
    std::size_t i = scan.i;
    while (i < scan.s.size() && !ends_atom(scan.s[i])) {
        if (scan.s[i] == '\\') {
            if (++i >= scan.s.size())
                return mta::Error::plain(kBackslash);
            if (auto st = check_escaped(scan.s[i]); !st)
                return st.error();
        }
        if (!is_atext(scan.s[i]))
            token.type = TokenType::quoted;
        token.text += scan.s[i++];
    }
    scan.i = i;
    return token;
}

// The one-character tokens, in the order of their TokenType values from comma on.
constexpr std::string_view kSpecials = ",@.<>;:";

TokenType special_type(char c)
{
    return static_cast<TokenType>(static_cast<int>(TokenType::comma) + kSpecials.find(c));
}

char special_char(TokenType type)
{
    return kSpecials[static_cast<std::size_t>(type) - static_cast<std::size_t>(TokenType::comma)];
}

mta::Result<Token> scan_token(Scan& scan)
{
    char c = scan.s[scan.i];
    std::size_t begin = scan.i;
    mta::Result<std::string> text = std::string();
    TokenType type = TokenType::atom;
    switch (c) {
    case '\0':
        return mta::Error::plain(kNul);
    case ')':
        return mta::Error::plain(kCloseParen);
    case ']':
        return mta::Error::plain(kCloseBracket);
    case '(':
        type = TokenType::comment;
        text = scan_comment(scan);
        break;
    case '"':
        type = TokenType::quoted;
        text = scan_delimited(scan, '"', kOpenQuote);
        break;
    case '[':
        type = TokenType::literal;
        text = scan_delimited(scan, ']', kOpenLiteral);
        break;
    default: {
        if (kSpecials.find(c) != std::string_view::npos) {
            ++scan.i;
            return Token { special_type(c), {}, begin, scan.i };
        }
        auto atom = scan_atom(scan);
        if (atom) {
            atom->begin = begin;
            atom->end = scan.i;
        }
        return atom;
    }
    }
    if (!text)
        return text.error();
    return Token { type, std::move(*text), begin, scan.i };
}

bool wordish(TokenType type)
{
    return is_word(type) || type == TokenType::comment || type == TokenType::phrase;
}

// Whether unparse puts a space between two tokens (qmail's needspace, plus a space
// before every comment).
bool need_space(TokenType last, TokenType next)
{
    if (last == TokenType::colon || last == TokenType::comma)
        return true;
    if (next == TokenType::left_angle || next == TokenType::comment)
        return true;
    return wordish(last) && wordish(next);
}

void append_escaped(std::string& out, std::string_view text, const char* specials)
{
    for (char c : text) {
        if (c == '\\' || std::strchr(specials, c) != nullptr)
            out += '\\';
        out += c;
    }
}

void append_token(std::string& out, Token const& token)
{
    switch (token.type) {
    case TokenType::atom:
    case TokenType::phrase:
        out += token.text;
        break;
    case TokenType::quoted:
        out += '"';
        append_escaped(out, token.text, "\"");
        out += '"';
        break;
    case TokenType::literal:
        out += '[';
        append_escaped(out, token.text, "[]");
        out += ']';
        break;
    case TokenType::comment:
        out += '(';
        out += token.text;
        out += ')';
        break;
    default:
        out += special_char(token.type);
        break;
    }
}

// The address-list walk of parse_address_list().
class ListParser {
public:
    ListParser(std::string_view source, Tokens const& tokens, AddressFn const& on_address)
        : m_source(source)
        , m_in(tokens)
        , m_on_address(on_address)
    {
    }

    mta::Result<Tokens> run()
    {
        while (m_pos < m_in.size()) {
            if (auto st = step(m_in[m_pos]); !st)
                return st.error();
        }
        if (m_in_group)
            return mta::Error::plain(kOpenGroup);
        flush_run();
        return std::move(m_out);
    }

private:
    mta::Status step(Token const& token)
    {
        switch (token.type) {
        case TokenType::left_angle:
            return angle_address();
        case TokenType::right_angle:
            return mta::Error::plain(kCloseAngle);
        case TokenType::colon:
            if (m_in_group)
                return mta::Error::plain(kNestedGroup);
            put_phrase();
            m_in_group = true;
            break;
        case TokenType::semicolon:
            if (!m_in_group)
                return mta::Error::plain(kSemicolon);
            flush_run();
            m_in_group = false;
            break;
        case TokenType::comma:
            flush_run();
            break;
        case TokenType::comment:
            if (m_after_angle) {
                m_out.push_back(token);
                ++m_pos;
                return {};
            }
            m_run.push_back(token);
            ++m_pos;
            return {};
        default:
            if (m_after_angle)
                m_out.push_back(Token { TokenType::comma, {} });
            m_after_angle = false;
            m_run.push_back(token);
            ++m_pos;
            return {};
        }
        m_out.push_back(token);
        m_after_angle = false;
        ++m_pos;
        return {};
    }

    // "phrase <route-addr>" with m_pos at the '<'.
    mta::Status angle_address()
    {
        if (m_after_angle)
            m_out.push_back(Token { TokenType::comma, {} });
        put_phrase();
        Tokens address;
        Tokens comments;
        for (++m_pos;; ++m_pos) {
            if (m_pos >= m_in.size())
                return mta::Error::plain(kOpenAngle);
            Token const& t = m_in[m_pos];
            if (t.type == TokenType::right_angle)
                break;
            if (t.type == TokenType::left_angle)
                return mta::Error::plain(kNestedAngle);
            (t.type == TokenType::comment ? comments : address).push_back(t);
        }
        ++m_pos;
        m_on_address(address);
        m_out.push_back(Token { TokenType::left_angle, {} });
        m_out.insert(m_out.end(), address.begin(), address.end());
        m_out.push_back(Token { TokenType::right_angle, {} });
        m_out.insert(m_out.end(), comments.begin(), comments.end());
        m_after_angle = true;
        return {};
    }

    // The pending run as one phrase token (a display or group name).
    void put_phrase()
    {
        if (m_run.empty())
            return;
        std::size_t begin = m_run.front().begin;
        std::size_t end = m_run.back().end;
        std::string text;
        if (begin < end && end <= m_source.size()) {
            for (char c : m_source.substr(begin, end - begin)) {
                if (c != '\r' && c != '\n')
                    text += c;
            }
        }
        m_out.push_back(Token { TokenType::phrase, std::move(text), begin, end });
        m_run.clear();
    }

    // The pending run as bare addresses: a word right after a word starts a new one.
    void flush_run()
    {
        Tokens address;
        Tokens comments;
        bool last_word = false;
        bool first = true;
        for (Token const& t : m_run) {
            if (t.type == TokenType::comment) {
                comments.push_back(t);
                continue;
            }
            if (is_word(t.type) && last_word) {
                put_address(address, comments, first);
                first = false;
            }
            address.push_back(t);
            last_word = is_word(t.type);
        }
        put_address(address, comments, first);
        m_run.clear();
    }

    void put_address(Tokens& address, Tokens& comments, bool first)
    {
        if (!first)
            m_out.push_back(Token { TokenType::comma, {} });
        if (!address.empty())
            m_on_address(address);
        m_out.insert(m_out.end(), address.begin(), address.end());
        m_out.insert(m_out.end(), comments.begin(), comments.end());
        address.clear();
        comments.clear();
    }

    std::string_view m_source;
    Tokens const& m_in;
    AddressFn const& m_on_address;
    std::size_t m_pos = 0;
    Tokens m_out;
    Tokens m_run;
    bool m_in_group = false;
    bool m_after_angle = false;
};

} // namespace

mta::Result<Tokens> tokenize(std::string_view text)
{
    Tokens tokens;
    Scan scan { text, 0 };
    while (scan.i < text.size()) {
        if (is_space(text[scan.i])) {
            ++scan.i;
            continue;
        }
        auto token = scan_token(scan);
        if (!token)
            return token.error();
        tokens.push_back(std::move(*token));
    }
    return tokens;
}

bool is_word(TokenType type)
{
    return type == TokenType::atom || type == TokenType::quoted || type == TokenType::literal;
}

mta::Result<Tokens> parse_address_list(
    std::string_view source, Tokens const& tokens, AddressFn const& on_address)
{
    return ListParser(source, tokens, on_address).run();
}

std::string unparse_field(std::string_view name, Tokens const& tokens, std::size_t line_length)
{
    std::string out(name);
    out += ':';
    std::size_t line_start = 0;
    std::size_t pending = std::string::npos; // a "\n " that may still be taken back
    // After each comma and at the end: break the line here, unless the line with the
    // previous break taken back still fits; then take that one back instead.
    auto soft_break = [&] {
        std::size_t here = out.size();
        if (pending != std::string::npos
            && (line_length == 0 || here - line_start <= line_length)) {
            out.erase(pending, 2);
            pending = out.size();
        } else {
            if (pending != std::string::npos)
                line_start = pending + 1;
            pending = here;
        }
        out += "\n ";
    };
    TokenType last = TokenType::colon;
    for (Token const& token : tokens) {
        if (need_space(last, token.type))
            out += ' ';
        last = token.type;
        append_token(out, token);
        if (token.type == TokenType::comma)
            soft_break();
    }
    soft_break();
    out.pop_back();
    return out;
}

std::string address_text(Tokens const& address)
{
    std::string out;
    for (Token const& token : address) {
        switch (token.type) {
        case TokenType::comment:
            break;
        case TokenType::atom:
        case TokenType::quoted:
        case TokenType::phrase:
            out += token.text;
            break;
        case TokenType::literal:
            out += '[';
            out += token.text;
            out += ']';
            break;
        default:
            append_token(out, token);
        }
    }
    return out;
}

} // namespace inject
