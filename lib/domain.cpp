#include "domain.hpp"

#include "address_syntax.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cstring>
#include <netinet/in.h>

namespace mta {

namespace {

using syntax::kDomainTooLong;
using syntax::kLabelTooLong;

// Syntax errors.
const char kNulByte[] = "NUL byte in address";
const char kControlChar[] = "control character in address";
const char kEightBit[] = "8-bit character in address";
const char kBadUtf8[] = "invalid UTF-8 in address";
const char kUnbalancedBracket[] = "unbalanced angle bracket";
const char kMisplacedQuote[] = "misplaced double quote";
const char kEmptyDomain[] = "empty domain";
const char kBadDomainChar[] = "invalid character in domain";
const char kEmptyLabel[] = "empty label in domain";
const char kHyphen[] = "domain label starts or ends with a hyphen";
const char kBadLiteral[] = "bad domain literal";
const char kBadIpv4[] = "bad IPv4 address literal";
const char kBadIpv6[] = "bad IPv6 address literal";
const char kUnterminatedLiteral[] = "unterminated domain literal";

constexpr std::size_t kMaxLabel = 63;
constexpr std::size_t kMaxLiteral = 64; // longer than any IPv6 text form

bool is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_domain_char(unsigned char c)
{
    return is_alnum(c) || c == '-' || c == '.' || c >= 0x80;
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

} // namespace

namespace syntax {

bool is_atext(unsigned char c)
{
    return is_alnum(c) || c >= 0x80 || (c != 0 && std::strchr("!#$%&'*+-/=?^_`{|}~", c));
}

bool is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

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

Error unexpected(char c, const char* fallback)
{
    if (c == '<' || c == '>')
        return Error::plain(kUnbalancedBracket);
    if (c == '"')
        return Error::plain(kMisplacedQuote);
    return Error::plain(fallback);
}

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

} // namespace syntax

Status check_domain(std::string_view domain, bool allow_utf8)
{
    if (Status st = syntax::check_bytes(domain, allow_utf8, false); !st)
        return st;
    if (domain.size() > syntax::kMaxDomain)
        return Error::plain(kDomainTooLong);
    syntax::Cursor cur { domain };
    auto parsed = syntax::parse_domain(cur, ""); // fails unless it takes all of domain
    if (!parsed)
        return parsed.error();
    return {};
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
