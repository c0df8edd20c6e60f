// routes - smtproutes (qmail-remote's artificial routes): which relay, if any, carries the
// mail for a host.
//
//     auto route = remote::find_route(lines, "mail.example.org");   // lines of smtproutes
//     if (!route) ...                       // a malformed line: "bad smtproutes line"
//     if (*route && !(*route)->relay.empty()) connect_to((*route)->relay, (*route)->port);
//
// A line is `key:relay[:port]`; the key is a host, a `.suffix` or empty (the default
// route); the relay is a host name, `[IPv4]` or `[IPv6]` (an IPv6 literal keeps its
// colons inside the brackets). Lookup order, first hit wins: the host itself, each suffix
// starting at a dot (`.b.c`, then `.c`), the empty key. An empty relay means "no route:
// use DNS as usual" (`key::port` does so but connects to that port, an extension of
// ours for test setups). Keys compare without regard to ASCII case.
#pragma once

#include "error.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace remote {

inline constexpr unsigned kSmtpPort = 25;

struct Route {
    std::string relay; // empty: use DNS for the host
    unsigned port = kSmtpPort;

    bool operator==(Route const&) const = default;
};

// Parses the part after the key: "relay", "relay:port", "[::1]:2525", "" (no relay).
mta::Result<Route> parse_relay(std::string_view text);

// The route for host from the lines of smtproutes (as control::read_lines gives them):
// nullopt when no key matches. A malformed line that would be used is an error.
mta::Result<std::optional<Route>> find_route(
    std::vector<std::string> const& lines, std::string_view host);

// The address inside a relay literal "[1.2.3.4]" or "[IPv6:...]"/"[::1]", or nullopt for
// a host name.
std::optional<std::string> literal_address(std::string_view relay);

} // namespace remote
