// address - RFC 5321 paths and RFC 5322 addr-specs: parse, quote, split.
//
//     mta::PathOptions opt;                        // RFC 5321 defaults
//     opt.allow_null = true;                       // MAIL FROM:<> is a bounce
//     auto r = mta::parse_path("<@a.example:\"john doe\"@x.org>", opt);
//     if (!r) return r.error();                    // "unterminated quoted string", ...
//     r->local == "john doe"; r->domain == "x.org"; r->to_string() == "\"john doe\"@x.org"
//
// Parsers return Result<Address>; every rejection is Error::plain with its own static
// text. address_error_is_length() tells a length limit ("local part too long", "domain
// too long", "domain label too long", "path too long", "address too long") from a
// syntax error, so the SMTP server can pick its reply code.
//
// An Address holds the local part decoded (quotes and backslashes removed) and the domain
// as written: case kept, a domain literal with its brackets ("[192.0.2.1]",
// "[IPv6:2001:db8::1]"). Source routes are dropped. The null path is the empty Address.
//
// check_domain() and lowercase_domain() live in domain.hpp, included here.
#pragma once

#include "domain.hpp" // check_domain, lowercase_domain
#include "error.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace mta {

// Longest address the queue stores (qmail-queue's limit, 1003 bytes with the NUL).
inline constexpr std::size_t kMaxAddressBytes = 1002;

struct Address {
    std::string local;
    std::string domain; // empty when the address has none

    // local@domain with the local part quoted when it is not a dot-atom; "" for the null
    // path. parse_path("<" + to_string() + ">") gives the Address back.
    std::string to_string() const;
    bool is_null() const { return local.empty() && domain.empty(); }
    bool operator==(Address const&) const = default;
};

struct PathOptions {
    bool allow_null = false; // accept "<>" (MAIL FROM)
    bool allow_missing_brackets = false; // accept MAIL FROM:user@host (qmail)
    bool require_domain = true; // refuse <user>; RCPT TO:<postmaster> needs false
    bool allow_utf8 = false; // SMTPUTF8: well-formed UTF-8 in local and domain
    // RFC 5321 4.5.3.1 limits, in octets as written. max_path counts the angle brackets
    // (a path without them counts as if it had them). kMaxAddressBytes always applies.
    std::size_t max_local = 64;
    std::size_t max_domain = 255;
    std::size_t max_path = 256;
};

// The argument of MAIL FROM: / RCPT TO:, e.g. "<user@example.org>". Leading spaces are
// skipped and trailing spaces ignored; anything else after the path is an error.
Result<Address> parse_path(std::string_view text, PathOptions const& options);

struct PathWithParams {
    Address address;
    std::string_view params; // ESMTP parameters after the path ("SIZE=10 BODY=8BITMIME")
};
// As parse_path, but the path may be followed by spaces and ESMTP parameters, which are
// returned unparsed (a view into text).
Result<PathWithParams> parse_path_with_params(std::string_view text, PathOptions const& options);

// A bare RFC 5322 addr-spec as found in a header field, e.g.
// "\"john doe\" (comment) @ example.org". CFWS (spaces, tabs, folding, nested comments)
// is allowed around the local part, the "@" and the domain. Of options, require_domain,
// allow_utf8, max_local and max_domain apply.
Result<Address> parse_addr_spec(std::string_view text, PathOptions const& options = {});

// True for a length-limit error of the parsers above or of check_domain(), false for a
// syntax error.
bool address_error_is_length(Error error);

// RFC 5322 dot-atom: atext runs joined by single dots. Bytes >= 0x80 count as atext
// (RFC 6531).
bool is_dot_atom(std::string_view text);

// The local part as written in a path: unchanged when it is a dot-atom, else in double
// quotes with '"' and '\' escaped by a backslash.
std::string quote_local(std::string_view local);

// Splits an unquoted envelope address at its last '@': {local, domain}. Without '@' the
// domain is empty.
std::pair<std::string_view, std::string_view> split_at_last_at(std::string_view address);

} // namespace mta
