// address_syntax - internals shared by lib/address.cpp and lib/domain.cpp; not for other
// callers (use address.hpp and domain.hpp).
//
//     mta::syntax::Cursor cur { "x.org> SIZE=1" };
//     auto domain = mta::syntax::parse_domain(cur, ">"); // "x.org", cur.pos at the '>'
//     if (!domain) return domain.error();                // "empty label in domain", ...
//
// Errors are Error::plain with static texts. The two length texts below are defined here
// once, so address_error_is_length() and the checks in domain.cpp share them.
#pragma once

#include "error.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace mta::syntax {

inline constexpr char kDomainTooLong[] = "domain too long";
inline constexpr char kLabelTooLong[] = "domain label too long";

// Longest domain check_domain() accepts: RFC 5321 4.5.3.1.2, PathOptions::max_domain's default.
inline constexpr std::size_t kMaxDomain = 255;

// A parse position in text. NUL bytes are refused before parsing, so peek() can return
// '\0' at the end.
struct Cursor {
    std::string_view text;
    std::size_t pos = 0;

    bool at_end() const { return pos >= text.size(); }
    char peek() const { return at_end() ? '\0' : text[pos]; }
};

// RFC 5322 atext; bytes >= 0x80 count (RFC 6531).
bool is_atext(unsigned char c);
bool is_wsp(char c);

// Rejects bytes no part of an address may hold. With folding (RFC 5322 text), tabs and
// line breaks followed by a space or tab pass.
Status check_bytes(std::string_view s, bool allow_utf8, bool folding);

// The error for an unexpected character c: a bracket or quote has its own text, any other
// character gives fallback.
Error unexpected(char c, const char* fallback);

// A domain name or literal at cur, which must be followed by the end or by one of stops.
Result<std::string> parse_domain(Cursor& cur, std::string_view stops);

} // namespace mta::syntax
