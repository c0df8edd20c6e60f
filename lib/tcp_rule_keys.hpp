// tcp_rule_keys - the address forms of tcpserver's rules and the cdb keys they become
// (ucspi-tcp 0.88's keys, plus CIDR), and the network keys a lookup tries for a client's
// address. Used by tcp_rules (parse and lookup_keys); pure: no I/O.
//
//     auto keys = mta::tcp_rules::address_keys("1.2.3.10-20");
//     if (!keys.ok())
//         return keys.problem;                  // static text naming the problem
//     for (auto& key : keys.keys) ...           // "1.2.3.10" ... "1.2.3.20"
//
//     std::vector<std::string> tried;
//     mta::tcp_rules::append_network_keys("10.1.2.3", tried);  // "10.1.2.2/31" ... "0.0.0.0/0"
//
// Address forms and their cdb keys:
//     1.2.3.4            "1.2.3.4" (an exact address; no leading zeros)
//     1.2.3. / 10.       "1.2.3." (a prefix of whole octets, ending in a dot)
//     1.2.3.10-20        one key per value, "1.2.3.10" ... "1.2.3.20" (any one octet may be
//                        a range a-b with a <= b <= 255; "1.2.3-5." gives three prefixes)
//     10.0.0.0/8         CIDR. /8, /16, /24 are stored as the prefix ("10."), /32 as the
//                        address; other lengths as "network/length" with the host bits zero
//                        ("10.64.0.0/10", "0.0.0.0/0"); host bits set are an error
//     2001:db8::1        an exact IPv6 address, stored in RFC 5952 form ("2001:db8::1");
//                        ::ffff:a.b.c.d (IPv4-mapped) is stored as the IPv4 "a.b.c.d"
//     2001:db8::/32      IPv6 CIDR, "network/length" in RFC 5952 form (/128 = the address)
//     =host.example      "=host.example" (the client's host name; lower-cased)
//     =.example          "=.example" (every host name ending in .example)
//     =                  "=" (every client that has a host name)
//     info@1.2.3.4       "info@1.2.3.4" (TCPREMOTEINFO at an exact address); info@=host
//     (empty)            "" (everyone else)
//
// append_network_keys() adds every shorter prefix of the address from the longest, in the
// key forms above: IPv4 lengths 31..0 (/24 as "1.2.3.", /23 as "1.2.2.0/23"), IPv6 127..0
// ("2001:db8::/32"). An address that is neither dotted-quad IPv4 nor IPv6 adds nothing.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mta::tcp_rules {

struct AddressKeys {
    std::vector<std::string> keys; // in order (ranges expanded); empty when !ok()
    char const* problem = nullptr; // static text, when !ok()
    bool ok() const { return problem == nullptr; }
};

// The cdb keys of the address part of a rules line (the text before the ':').
AddressKeys address_keys(std::string_view address);

// The prefix keys of a client's address (as tcpserver formats it), appended to keys.
void append_network_keys(std::string_view ip, std::vector<std::string>& keys);

// A byte of a host name as rules and tcpserver's TCPREMOTEHOST hold it: c lower-cased in
// place; false unless it is then a letter, digit, '-', '.' or '_'.
bool lower_host_byte(char& c);

} // namespace mta::tcp_rules
