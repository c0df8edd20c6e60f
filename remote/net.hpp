// net - IPv4 and IPv6 addresses and the TCP connection to a mail exchanger, with
// qmail-remote's connect timeout.
//
//     auto ip = remote::parse_ip("2001:db8::25");           // nullopt: not an address
//     auto fd = remote::connect_tcp(*ip, 25, 60 * 1000);
//     if (!fd) ...  // fd.error().errnum: ETIMEDOUT (counts for tcpto), ECONNREFUSED, ...
//
// Errors are Result values carrying the connect's errno; a timeout is ETIMEDOUT.
#pragma once

#include "error.hpp"
#include "fd.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace remote {

struct IpAddress {
    bool v6 = false;
    std::array<std::uint8_t, 16> bytes {}; // IPv4 in the first 4

    bool operator==(IpAddress const&) const = default;
    // "192.0.2.1" or "2001:db8::1".
    std::string to_string() const;
};

// A numeric IPv4 or IPv6 address (no brackets, no names).
std::optional<IpAddress> parse_ip(std::string_view text);

// A TCP connection to ip:port within timeout_ms; the socket is blocking, close-on-exec,
// TCP_NODELAY.
mta::Result<mta::Fd> connect_tcp(IpAddress const& ip, unsigned port, int timeout_ms);

} // namespace remote
