#include "address.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cstring>
#include <netinet/in.h>

namespace mta {

namespace {

// Length errors (see address_error_is_length).
const char kLocalTooLong[] = "local part too long";
const char kDomainTooLong[] = "domain too long";
const char kLabelTooLong[] = "domain label too long";
const char kPathTooLong[] = "path too long";
const char kAddressTooLong[] = "address too long";

// Syntax errors.
const char kNulByte[] = "NUL byte in address";
const char kControlChar[] = "control character in address";
const char kEightBit[] = "8-bit character in address";
const char kBadUtf8[] = "invalid UTF-8 in address";
const char kNoBrackets[] = "path not in angle brackets";
const char kUnbalancedBracket[] = "unbalanced angle bracket";
const char kMissingClose[] = "missing closing angle bracket";
const char kNullPath[] = "null path not allowed";
const char kTrailingGarbage[] = "trailing garbage after address";
const char kBadRoute[] = "bad source route";
const char kEmptyLocal[] = "empty local part";
const char kBadLocalChar[] = "invalid character in local part";
const char kMisplacedQuote[] = "misplaced double quote";
const char kUnterminatedQuote[] = "unterminated quoted string";
const char kBadEscape[] = "bad backslash escape";
const char kDoubleDot[] = "double dot in local part";
const char kEdgeDot[] = "local part starts or ends with a dot";
const char kNoDomain[] = "address has no domain";
const char kEmptyDomain[] = "empty domain";
const char kBadDomainChar[] = "invalid character in domain";
const char kEmptyLabel[] = "empty label in domain";
const char kHyphen[] = "domain label starts or ends with a hyphen";
const char kBadLiteral[] = "bad domain literal";
const char kBadIpv4[] = "bad IPv4 address literal";
const char kBadIpv6[] = "bad IPv6 address literal";
const char kUnterminatedLiteral[] = "unterminated domain literal";
const char kUnterminatedComment[] = "unterminated comment";

constexpr std::size_t kMaxLabel = 63;
constexpr std::size_t kMaxLiteral = 64; // longer than any IPv6 text form

bool is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_atext(unsigned char c)
{
    return is_alnum(c) || c >= 0x80 || (c != 0 && std::strchr("!#$%&'*+-/=?^_`{|}~", c));
}

bool is_domain_char(unsigned char c)
{
    return is_alnum(c) || c == '-' || c == '.' || c >= 0x80;
}

bool is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

// Well-formed UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view s)
{
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80     ? 0 // continuation bytes; 4 = cannot start a character
            : c >= 0xC2 && c <= 0xDF ? 1
            : c >= 0xE0 && c <= 0xEF ? 2
            : c >= 0xF0 && c <= 0xF4 ? 3
                                     : 4;
        if (n == 4 || s.size() - i <= n)
            return false;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
        else if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
        for (std::size_t k = 1; k <= n; ++k) {
            auto d = static_cast<unsigned char>(s[i + k]);
            if (d < (k == 1 ? lo : 0x80) || d > (k == 1 ? hi : 0xBF))
                return false;
        }
        i += n + 1;
    }
    return true;
}

// Rejects bytes no part of an address may hold. With folding (RFC 5322 text), tabs and
// line breaks followed by a space or tab pass.
Status check_bytes(std::string_view s, bool allow_utf8, bool folding)
{
    bool eight_bit = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c == 0)
            return Error::plain(kNulByte);
        bool fold_ok = (c == '\t')
            || (c == '\r' && i + 2 < s.size() && s[i + 1] == '\n' && is_wsp(s[i + 2]))
            || (c == '\n' && i + 1 < s.size() && is_wsp(s[i + 1]));
        if ((c < 32 || c == 127) && !(folding && fold_ok))
            return Error::plain(kControlChar);
        eight_bit = eight_bit || c >= 0x80;
    }
    if (eight_bit && !allow_utf8)
        return Error::plain(kEightBit);
    if (eight_bit && !is_valid_utf8(s))
        return Error::plain(kBadUtf8);
    return {};
}

// A parse position in text. NUL bytes are refused before parsing, so peek() can return
// '\0' at the end.
struct Cursor {
    std::string_view text;
    std::size_t pos = 0;

    bool at_end() const { return pos >= text.size(); }
    char peek() const { return at_end() ? '\0' : text[pos]; }
};

Error unexpected(char c, const char* fallback)
{
    if (c == '<' || c == '>')
        return Error::plain(kUnbalancedBracket);
    if (c == '"')
        return Error::plain(kMisplacedQuote);
    return Error::plain(fallback);
}

// Spaces, tabs, folding and (nested) comments.
Status skip_cfws(Cursor& cur)
{
    while (!cur.at_end()) {
        char c = cur.peek();
        if (is_wsp(c) || c == '\r' || c == '\n') {
            ++cur.pos;
            continue;
        }
        if (c != '(')
            break;
        for (std::size_t depth = 0;;) {
            if (cur.at_end())
                return Error::plain(kUnterminatedComment);
            c = cur.text[cur.pos++];
            if (c == '\\' && !cur.at_end())
                ++cur.pos;
            else if (c == '(')
                ++depth;
            else if (c == ')' && --depth == 0)
                break;
        }
    }
    return {};
}

// A quoted string at cur, decoded: quotes and backslashes removed, folding unfolded.
Result<std::string> parse_quoted(Cursor& cur)
{
    std::string out;
    for (++cur.pos;;) {
        if (cur.at_end())
            return Error::plain(kUnterminatedQuote);
        char c = cur.text[cur.pos++];
        if (c == '"')
            return out;
        if (c == '\\') {
            if (cur.at_end())
                return Error::plain(kUnterminatedQuote);
            c = cur.text[cur.pos++];
            if (c == '\r' || c == '\n')
                return Error::plain(kBadEscape);
        }
        if (c != '\r' && c != '\n')
            out += c;
    }
}

Result<std::string> parse_local(Cursor& cur)
{
    if (cur.peek() == '"') {
        auto quoted = parse_quoted(cur);
        if (quoted && quoted->empty())
            return Error::plain(kEmptyLocal);
        return quoted;
    }
    std::size_t start = cur.pos;
    while (!cur.at_end() && (is_atext(cur.peek()) || cur.peek() == '.'))
        ++cur.pos;
    std::string_view atoms = cur.text.substr(start, cur.pos - start);
    if (atoms.empty()) {
        char c = cur.peek();
        if (cur.at_end() || c == '@' || c == '>')
            return Error::plain(kEmptyLocal);
        return unexpected(c, kBadLocalChar);
    }
    if (atoms.front() == '.' || atoms.back() == '.')
        return Error::plain(kEdgeDot);
    if (atoms.find("..") != std::string_view::npos)
        return Error::plain(kDoubleDot);
    return std::string(atoms);
}

Status check_literal(std::string_view literal)
{
    std::string_view inner = literal.substr(1, literal.size() - 2);
    char buf[kMaxLiteral + 1];
    bool v6 = inner.size() >= 5 && lowercase_domain(inner.substr(0, 5)) == "ipv6:";
    if (v6)
        inner.remove_prefix(5);
    if (inner.empty() || inner.size() > kMaxLiteral)
        return Error::plain(v6 ? kBadIpv6 : kBadLiteral);
    if (!v6 && inner.find(':') != std::string_view::npos)
        return Error::plain(kBadLiteral); // a general literal: no tag but IPv6 is registered
    inner.copy(buf, inner.size());
    buf[inner.size()] = '\0';
    unsigned char addr[sizeof(struct in6_addr)];
    if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, addr) != 1)
        return Error::plain(v6 ? kBadIpv6 : kBadIpv4);
    return {};
}

Status check_domain_name(std::string_view name)
{
    while (true) {
        std::size_t dot = name.find('.');
        std::string_view label = name.substr(0, dot);
        if (label.empty())
            return Error::plain(kEmptyLabel);
        if (label.front() == '-' || label.back() == '-')
            return Error::plain(kHyphen);
        // A UTF-8 label (U-label) is limited by its A-label form, which we do not compute.
        bool ascii = std::all_of(label.begin(), label.end(),
            [](char c) { return static_cast<unsigned char>(c) < 0x80; });
        if (label.size() > kMaxLabel && ascii)
            return Error::plain(kLabelTooLong);
        if (dot == std::string_view::npos)
            return {};
        name.remove_prefix(dot + 1);
    }
}

// A domain name or literal at cur, which must be followed by the end or by one of stops.
Result<std::string> parse_domain(Cursor& cur, std::string_view stops)
{
    std::size_t start = cur.pos;
    if (cur.peek() == '[') {
        std::size_t close = cur.text.find(']', start);
        if (close == std::string_view::npos)
            return Error::plain(kUnterminatedLiteral);
        cur.pos = close + 1;
    } else {
        while (!cur.at_end() && is_domain_char(cur.peek()))
            ++cur.pos;
    }
    if (!cur.at_end() && stops.find(cur.peek()) == std::string_view::npos)
        return unexpected(cur.peek(), kBadDomainChar);
    std::string_view domain = cur.text.substr(start, cur.pos - start);
    if (domain.empty())
        return Error::plain(kEmptyDomain);
    Status st = domain[0] == '[' ? check_literal(domain) : check_domain_name(domain);
    if (!st)
        return st.error();
    return std::string(domain);
}

// "@a,@b:" before the mailbox (RFC 5321 4.1.2): checked and dropped.
Status skip_source_route(Cursor& cur)
{
    for (bool first = true;; first = false) {
        ++cur.pos; // the '@'
        auto domain = parse_domain(cur, ",:>");
        if (!domain)
            return domain.error();
        char c = cur.peek();
        if (c == ':') {
            ++cur.pos;
            return {};
        }
        if (c == '>' && first)
            return Error::plain(kEmptyLocal); // "<@host>"
        if (c != ',' || cur.text.substr(cur.pos + 1, 1) != "@")
            return Error::plain(kBadRoute);
        ++cur.pos;
    }
}

Status check_lengths(
    std::size_t local, std::size_t domain, std::size_t path, PathOptions const& options)
{
    if (path > kMaxAddressBytes)
        return Error::plain(kAddressTooLong);
    if (local > options.max_local)
        return Error::plain(kLocalTooLong);
    if (domain > options.max_domain)
        return Error::plain(kDomainTooLong);
    if (path > options.max_path)
        return Error::plain(kPathTooLong);
    return {};
}

// local[@domain] up to '>' (bracketed) or to a space or the end; not the null path.
Result<Address> parse_mailbox(Cursor& cur, bool bracketed, PathOptions const& options)
{
    std::string_view stops = bracketed ? ">" : " ";
    std::size_t start = cur.pos;
    auto local = parse_local(cur);
    if (!local)
        return local.error();
    std::size_t local_length = cur.pos - start;
    Address address { std::move(*local), {} };
    if (cur.peek() == '@') {
        ++cur.pos;
        auto domain = parse_domain(cur, stops);
        if (!domain)
            return domain.error();
        address.domain = std::move(*domain);
    } else if (!cur.at_end() && stops.find(cur.peek()) == std::string_view::npos) {
        return unexpected(cur.peek(), kBadLocalChar);
    }
    if (bracketed && cur.at_end())
        return Error::plain(kMissingClose);
    if (options.require_domain && address.domain.empty())
        return Error::plain(kNoDomain);
    Status st = check_lengths(local_length, address.domain.size(), 0, options);
    if (!st)
        return st.error();
    return address;
}

} // namespace

std::string Address::to_string() const
{
    if (is_null())
        return {};
    std::string out = quote_local(local);
    if (!domain.empty())
        out += '@' + domain;
    return out;
}

Result<PathWithParams> parse_path_with_params(std::string_view text, PathOptions const& options)
{
    if (Status st = check_bytes(text, options.allow_utf8, false); !st)
        return st.error();
    Cursor cur { text };
    while (cur.peek() == ' ')
        ++cur.pos;
    std::size_t start = cur.pos;
    bool bracketed = cur.peek() == '<';
    if (!bracketed && (!options.allow_missing_brackets || cur.at_end()))
        return Error::plain(kNoBrackets);
    PathWithParams out;
    if (bracketed && text.substr(start, 2) == "<>") {
        if (!options.allow_null)
            return Error::plain(kNullPath);
        cur.pos += 2;
    } else {
        cur.pos += bracketed ? 1 : 0;
        if (cur.peek() == '@') {
            if (Status st = skip_source_route(cur); !st)
                return st.error();
        }
        auto address = parse_mailbox(cur, bracketed, options);
        if (!address)
            return address.error();
        out.address = std::move(*address);
        cur.pos += bracketed ? 1 : 0; // the closing bracket
    }
    std::size_t path_length = cur.pos - start + (bracketed ? 0 : 2);
    if (Status st = check_lengths(0, 0, path_length, options); !st)
        return st.error();
    out.params = text.substr(cur.pos);
    if (!out.params.empty() && out.params[0] != ' ')
        return Error::plain(kTrailingGarbage);
    while (!out.params.empty() && out.params[0] == ' ')
        out.params.remove_prefix(1);
    return out;
}

Result<Address> parse_path(std::string_view text, PathOptions const& options)
{
    if (text.size() > kMaxAddressBytes)
        return Error::plain(kAddressTooLong);
    auto parsed = parse_path_with_params(text, options);
    if (!parsed)
        return parsed.error();
    if (!parsed->params.empty())
        return Error::plain(kTrailingGarbage);
    return std::move(parsed->address);
}

Result<Address> parse_addr_spec(std::string_view text, PathOptions const& options)
{
    if (text.size() > kMaxAddressBytes)
        return Error::plain(kAddressTooLong);
    if (Status st = check_bytes(text, options.allow_utf8, true); !st)
        return st.error();
    Cursor cur { text };
    if (Status st = skip_cfws(cur); !st)
        return st.error();
    std::size_t start = cur.pos;
    auto local = parse_local(cur);
    if (!local)
        return local.error();
    std::size_t local_length = cur.pos - start;
    Address address { std::move(*local), {} };
    if (Status st = skip_cfws(cur); !st)
        return st.error();
    if (cur.peek() == '@') {
        ++cur.pos;
        if (Status st = skip_cfws(cur); !st)
            return st.error();
        auto domain = parse_domain(cur, " \t\r\n(");
        if (!domain)
            return domain.error();
        address.domain = std::move(*domain);
        if (Status st = skip_cfws(cur); !st)
            return st.error();
    } else if (cur.at_end() && options.require_domain) {
        return Error::plain(kNoDomain);
    }
    if (!cur.at_end())
        return unexpected(cur.peek(), address.domain.empty() ? kBadLocalChar : kTrailingGarbage);
    if (Status st = check_lengths(local_length, address.domain.size(), 0, options); !st)
        return st.error();
    return address;
}

Status check_domain(std::string_view domain, bool allow_utf8)
{
    if (Status st = check_bytes(domain, allow_utf8, false); !st)
        return st;
    if (domain.size() > PathOptions {}.max_domain)
        return Error::plain(kDomainTooLong);
    Cursor cur { domain };
    auto parsed = parse_domain(cur, ""); // fails unless it takes all of domain
    if (!parsed)
        return parsed.error();
    return {};
}

bool address_error_is_length(Error error)
{
    if (error.what == nullptr)
        return false;
    std::string_view what = error.what;
    for (std::string_view length :
        { kLocalTooLong, kDomainTooLong, kLabelTooLong, kPathTooLong, kAddressTooLong })
        if (what == length)
            return true;
    return false;
}

bool is_dot_atom(std::string_view text)
{
    if (text.empty() || text.front() == '.' || text.back() == '.'
        || text.find("..") != std::string_view::npos)
        return false;
    return std::all_of(text.begin(), text.end(), [](char c) { return c == '.' || is_atext(c); });
}

std::string quote_local(std::string_view local)
{
    if (is_dot_atom(local))
        return std::string(local);
    std::string out = "\"";
    for (char c : local) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    out += '"';
    return out;
}

std::pair<std::string_view, std::string_view> split_at_last_at(std::string_view address)
{
    std::size_t at = address.rfind('@');
    if (at == std::string_view::npos)
        return { address, {} };
    return { address.substr(0, at), address.substr(at + 1) };
}

std::string lowercase_domain(std::string_view domain)
{
    std::string out(domain);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

} // namespace mta
