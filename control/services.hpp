// services - the network services an install runs, as recorded in control/services by
// `mailctl init --listen SERVICE=ADDR:PORT` (one per line, `#` comments allowed):
//
//     smtp=*:25            every address, IPv4 and IPv6
//     submission=127.0.0.1:587
//     imaps=[::1]:993
//
// SERVICE is one of smtp, submission, smtps, pop3, pop3s, imap, imaps. ADDR is `*`, an
// IPv4 address or an IPv6 address in brackets; PORT is 1..65535. parse_listen() returns
// an Error whose text says which part is wrong.
#pragma once

#include "error.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace admin {

struct Listen {
    std::string service; // smtp, submission, ...
    std::string address; // "*", "127.0.0.1", "::1" (no brackets)
    int port = 0;

    std::string to_string() const; // smtp=*:25, imaps=[::1]:993
};

// The service names in their standard order, and their standard ports.
std::vector<std::string> const& service_names();
int standard_port(std::string_view service); // 0 for an unknown name

mta::Result<Listen> parse_listen(std::string_view text);
// Every service on its standard port on all addresses.
std::vector<Listen> default_services();

} // namespace admin
