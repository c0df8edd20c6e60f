// options - tcpserver's command line: ucspi-tcp 0.88's options plus -C (per-IP limit).
//
//     auto opt = tcpserver::parse_options(argc, argv);
//     if (!opt) die_usage(opt.error().what);            // a usage error is permanent
//     use(opt->limit, opt->host, opt->program);
//
// parse_options() is pure apart from getopt's state and the -U lookup of $UID and $GID.
// Errors are Error::plain with a static text naming the problem ("-c wants a positive
// number", "missing program", ...). Options stop at the first non-option argument (host),
// so the program's own options are never taken for tcpserver's.
#pragma once

#include "error.hpp"

#include <optional>
#include <string>
#include <vector>

namespace tcpserver {

inline constexpr unsigned long kMaxLimit = 100000;

struct Options {
    unsigned long limit = 40; // -c: simultaneous children
    unsigned long per_ip = 0; // -C: simultaneous children per client IP; 0 = no limit
    std::optional<std::string> rules; // -x rules.cdb
    bool allow_missing_rules = false; // -X
    std::string banner; // -B
    std::optional<std::string> user; // -u uid (or account name); -U: $UID
    std::optional<std::string> group; // -g gid (or group name); -U: $GID
    bool print_port = false; // -1
    int backlog = 20; // -b
    bool nodelay = false; // -D (-d: Nagle allowed, the default)
    bool kill_ip_options = true; // -O (the default); -o keeps IP options
    int verbosity = 1; // -q 0, -Q 1, -v 2
    bool remote_host = true; // -h (the default); -H skips the PTR lookup
    bool paranoid = false; // -p: keep the name only if it maps back to the address
    std::optional<std::string> local_host; // -l name: TCPLOCALHOST without a lookup
    bool remote_info = true; // -r (the default): RFC 1413 lookup for TCPREMOTEINFO; -R skips it
    unsigned long ident_timeout = 2; // -t: seconds for the ident lookup (ucspi-tcp: 26)
    std::string host; // "0" / "" = any IPv4, "::" = any IPv4 and IPv6
    std::string port;
    std::vector<std::string> program; // program and its arguments
};

mta::Result<Options> parse_options(int argc, char** argv);

} // namespace tcpserver
