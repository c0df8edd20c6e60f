// domain - the domain of an address on its own: check a host name or address literal,
// fold its case. The address parsers (address.hpp) use the same checks.
//
//     if (auto st = mta::check_domain("mail.Example.ORG"); !st)
//         return st.error();                       // "empty label in domain", ...
//     mta::lowercase_domain("mail.Example.ORG") == "mail.example.org"
//     mta::check_domain("[IPv6:2001:db8::1]").ok() // address literals pass
//
// check_domain() returns Error::plain with the parsers' static texts: "domain too long"
// and "domain label too long" are length errors (address_error_is_length() is true for
// them), the others syntax errors ("empty domain", "bad IPv4 address literal", "8-bit
// character in address", ...).
#pragma once

#include "error.hpp"

#include <string>
#include <string_view>

namespace mta {

// A domain name or address literal on its own (a host name from a control file), with
// the parsers' rules and error texts; at most 255 octets.
Status check_domain(std::string_view domain, bool allow_utf8 = false);

// ASCII letters to lower case; other bytes unchanged.
std::string lowercase_domain(std::string_view domain);

} // namespace mta
