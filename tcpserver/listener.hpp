// listener - tcpserver's listening socket and the text form of socket addresses.
//
//     auto l = tcpserver::listen_on("0", "smtp", 20);   // Result<Listener>
//     if (!l) die(l.error());
//     accept4(l->fd.get(), ...);                        // non-blocking, close-on-exec
//     auto peer = tcpserver::describe(sa);              // {v6, "127.0.0.1", 41532}
//
// Host "0" or "" is every IPv4 address (0.0.0.0, as ucspi-tcp); "::" is every IPv6 address
// and, through IPv4-mapped addresses, every IPv4 one too (IPV6_V6ONLY off); an address
// literal is that address; another name is its first address (getaddrinfo). Port is a
// number (0 = any free port) or a service name from /etc/services. The socket has
// SO_REUSEADDR, as ucspi-tcp's. describe() gives IPv4-mapped IPv6 addresses as IPv4, so a
// client is "1.2.3.4" whichever socket it came in on. Errors: Error::plain("unable to
// figure out port number") / ("no IP address for host") / ("temporarily unable to figure
// out IP address for host"), or a system error naming the call ("unable to bind", ...).
#pragma once

#include "error.hpp"
#include "fd.hpp"

#include <cstdint>
#include <string>
#include <sys/socket.h>

namespace tcpserver {

struct Listener {
    mta::Fd fd;
    uint16_t port = 0; // the bound port (the chosen one for port 0)
};

struct SocketAddress {
    bool v6 = false;
    std::string ip;
    uint16_t port = 0;
};

mta::Result<Listener> listen_on(std::string const& host, std::string const& port, int backlog);

SocketAddress describe(sockaddr_storage const& sa);

} // namespace tcpserver
