#include "tcp_rule_keys.hpp"

#include <arpa/inet.h>
#include <cstdint>
#include <cstring>
#include <netinet/in.h>
#include <optional>

namespace mta::tcp_rules {

namespace {

using Keys = std::vector<std::string>;

AddressKeys fail(char const* problem)
{
    return AddressKeys { {}, problem };
}

constexpr char const* kNotAddress
    = "not an address: want 1.2.3.4, 1.2.3., 1.2.3.4-7, 10.0.0.0/8, an IPv6 address, =host or "
      "info@address";
constexpr char const* kBadNumber = "a number in the address has a leading zero or is over 255";

// A decimal number 0..max without leading zeros; nullopt otherwise.
std::optional<unsigned> parse_number(std::string_view s, unsigned max)
{
    if (s.empty() || s.size() > 3 || (s.size() > 1 && s[0] == '0'))
        return std::nullopt;
    unsigned v = 0;
    for (char c : s) {
        if (c < '0' || c > '9')
            return std::nullopt;
        v = v * 10 + unsigned(c - '0');
    }
    if (v > max)
        return std::nullopt;
    return v;
}

std::string format_v4(uint32_t a)
{
    return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "."
        + std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
}

std::optional<uint32_t> parse_v4(std::string_view s)
{
    uint32_t a = 0;
    for (int part = 0; part < 4; ++part) {
        auto dot = s.find('.');
        if ((part < 3) != (dot != std::string_view::npos))
            return std::nullopt;
        auto n = parse_number(s.substr(0, dot), 255);
        if (!n)
            return std::nullopt;
        a = (a << 8) | *n;
        if (part < 3)
            s.remove_prefix(dot + 1);
    }
    return a;
}

std::optional<in6_addr> parse_v6(std::string_view s)
{
    if (s.size() >= INET6_ADDRSTRLEN)
        return std::nullopt;
    std::string const text(s);
    in6_addr a;
    if (::inet_pton(AF_INET6, text.c_str(), &a) != 1)
        return std::nullopt;
    return a;
}

bool is_v4_mapped(in6_addr const& a)
{
    static constexpr uint8_t kPrefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    return std::memcmp(a.s6_addr, kPrefix, 12) == 0;
}

uint32_t mapped_v4(in6_addr const& a)
{
    return (uint32_t(a.s6_addr[12]) << 24) | (uint32_t(a.s6_addr[13]) << 16)
        | (uint32_t(a.s6_addr[14]) << 8) | a.s6_addr[15];
}

std::string format_v6(in6_addr const& a)
{
    char buf[INET6_ADDRSTRLEN];
    ::inet_ntop(AF_INET6, &a, buf, sizeof buf);
    return buf;
}

uint32_t mask_v4(uint32_t a, unsigned len)
{
    return len == 0 ? 0 : a & (~uint32_t { 0 } << (32 - len));
}

in6_addr mask_v6(in6_addr a, unsigned len)
{
    for (unsigned i = 0; i < 16; ++i) {
        unsigned const keep = len >= 8 * (i + 1) ? 8 : (len > 8 * i ? len - 8 * i : 0);
        a.s6_addr[i] &= uint8_t(0xff00 >> keep);
    }
    return a;
}

// The key of an IPv4 network: the address (/32), a dotted prefix (/8 /16 /24) or net/len.
std::string key_v4(uint32_t net, unsigned len)
{
    if (len == 32)
        return format_v4(net);
    if (len != 0 && len % 8 == 0) {
        std::string full = format_v4(net);
        size_t end = 0;
        for (unsigned dots = 0; dots < len / 8; ++dots)
            end = full.find('.', end) + 1;
        return full.substr(0, end);
    }
    return format_v4(net) + "/" + std::to_string(len);
}

std::string key_v6(in6_addr const& net, unsigned len)
{
    if (len == 128)
        return format_v6(net);
    return format_v6(net) + "/" + std::to_string(len);
}

// An exact address: IPv4, or IPv6 (v4-mapped ones become IPv4).
std::optional<std::string> exact_key(std::string_view s)
{
    if (auto v4 = parse_v4(s))
        return format_v4(*v4);
    if (auto v6 = parse_v6(s))
        return is_v4_mapped(*v6) ? format_v4(mapped_v4(*v6)) : format_v6(*v6);
    return std::nullopt;
}

AddressKeys cidr_keys(std::string_view address)
{
    auto slash = address.find('/');
    auto ip = address.substr(0, slash);
    auto len_text = address.substr(slash + 1);
    if (auto v4 = parse_v4(ip)) {
        auto len = parse_number(len_text, 32);
        if (!len)
            return fail("CIDR length is not a number from 0 to 32");
        if (mask_v4(*v4, *len) != *v4)
            return fail("host bits set after the CIDR length");
        return { { key_v4(*v4, *len) } };
    }
    auto v6 = parse_v6(ip);
    if (!v6)
        return fail(kNotAddress);
    auto len = parse_number(len_text, 128);
    if (!len)
        return fail("CIDR length is not a number from 0 to 128");
    if (std::memcmp(mask_v6(*v6, *len).s6_addr, v6->s6_addr, 16) != 0)
        return fail("host bits set after the CIDR length");
    if (*len >= 96 && is_v4_mapped(*v6))
        return { { key_v4(mapped_v4(*v6), *len - 96) } };
    return { { key_v6(*v6, *len) } };
}

std::vector<std::string_view> split_dots(std::string_view address)
{
    std::vector<std::string_view> parts;
    for (size_t start = 0;;) {
        auto dot = address.find('.', start);
        parts.push_back(address.substr(start, dot - start));
        if (dot == std::string_view::npos)
            return parts;
        start = dot + 1;
    }
}

// 1.2.3.4, 1.2.3., 1.2.3.4-7, 1.2.3-5.: dotted decimal, at most one range.
AddressKeys v4_keys(std::string_view address)
{
    bool const prefix = address.back() == '.';
    if (prefix)
        address.remove_suffix(1);
    auto const parts = split_dots(address);
    if (prefix ? parts.size() > 3 : parts.size() != 4)
        return fail(kNotAddress);
    for (auto part : parts)
        if (part.empty())
            return fail(kNotAddress);
    size_t range_at = parts.size();
    unsigned low = 0, high = 0;
    for (size_t i = 0; i < parts.size(); ++i) {
        auto dash = parts[i].find('-');
        if (dash == std::string_view::npos) {
            if (!parse_number(parts[i], 255))
                return fail(kBadNumber);
            continue;
        }
        if (range_at != parts.size())
            return fail("only one range a-b in an address");
        auto a = parse_number(parts[i].substr(0, dash), 255);
        auto b = parse_number(parts[i].substr(dash + 1), 255);
        if (!a || !b)
            return fail(kBadNumber);
        if (*a > *b)
            return fail("range start is above its end");
        range_at = i, low = *a, high = *b;
    }
    if (range_at == parts.size())
        return { { std::string(address) + (prefix ? "." : "") } };
    Keys keys;
    for (unsigned v = low; v <= high; ++v) {
        std::string key;
        for (size_t i = 0; i < parts.size(); ++i)
            key += (i ? "." : "") + (i == range_at ? std::to_string(v) : std::string(parts[i]));
        keys.push_back(key + (prefix ? "." : ""));
    }
    return { keys };
}

// =host, =.suffix, =: lower-cased; letters, digits, '-', '.', '_'.
std::optional<std::string> host_key(std::string_view address)
{
    std::string key(address);
    for (size_t i = 1; i < key.size(); ++i)
        if (!lower_host_byte(key[i]))
            return std::nullopt;
    return key;
}

AddressKeys info_keys(std::string_view address)
{
    auto at = address.find('@');
    auto info = address.substr(0, at);
    auto rest = address.substr(at + 1);
    if (info.empty())
        return fail("empty TCPREMOTEINFO before \"@\"");
    for (unsigned char c : info)
        if (c <= ' ' || c == 0x7f)
            return fail("blank or control character before \"@\"");
    std::optional<std::string> key;
    if (!rest.empty() && rest[0] == '=')
        key = host_key(rest);
    else
        key = exact_key(rest);
    if (!key || rest == "=")
        return fail("after \"@\" want an exact address or =host.name");
    return { { std::string(info) + "@" + *key } };
}

} // namespace

AddressKeys address_keys(std::string_view address)
{
    if (address.empty())
        return { { "" } };
    if (address[0] == '=') {
        auto key = host_key(address);
        if (!key)
            return fail("bad character in a host name (want letters, digits, '-', '.', '_')");
        return { { *key } };
    }
    if (address.find('@') != std::string_view::npos)
        return info_keys(address);
    if (address.find('/') != std::string_view::npos)
        return cidr_keys(address);
    if (address.find(':') != std::string_view::npos) {
        auto key = exact_key(address);
        if (!key)
            return fail("not an IPv6 address (for a network use CIDR: 2001:db8::/32)");
        return { { *key } };
    }
    if (address.find_first_not_of("0123456789.-") != std::string_view::npos)
        return fail(kNotAddress);
    return v4_keys(address);
}

void append_network_keys(std::string_view ip, std::vector<std::string>& keys)
{
    if (auto v4 = parse_v4(ip)) {
        for (unsigned len = 32; len-- > 0;)
            keys.push_back(key_v4(mask_v4(*v4, len), len));
    } else if (auto v6 = parse_v6(ip)) {
        for (unsigned len = 128; len-- > 0;)
            keys.push_back(key_v6(mask_v6(*v6, len), len));
    }
}

bool lower_host_byte(char& c)
{
    if (c >= 'A' && c <= 'Z')
        c = char(c - 'A' + 'a');
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

} // namespace mta::tcp_rules
