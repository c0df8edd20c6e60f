// connection - what tcpserver's child does with one connection before it runs the program
// (ucspi-tcp's doit()): log "pid", socket options, banner, names, rules, log "ok"/"deny",
// the TCP* environment, the socket on descriptors 0 and 1, exec.
//
//     if (pid == 0) tcpserver::serve_connection(options, std::move(socket));  // never returns
//
// serve_connection() runs only in a forked child and ends with exec or _exit: 100 for a
// connection a rule denies, 111 when the connection has to be dropped (rules unreadable,
// exec failed; a "tcpserver: warning: dropping connection, ..." line says why). No
// exception leaves it. The other functions are its testable parts.
#pragma once

#include "env.hpp"
#include "fd.hpp"
#include "log_lines.hpp"
#include "options.hpp"
#include "tcp_rules.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace tcpserver {

[[noreturn]] void serve_connection(Options const& options, mta::Fd socket);

// A host name as DNS gave it, lower-cased without a final dot; nullopt when it holds
// anything but letters, digits, '-', '.' and '_' (it goes into Received lines) or is longer
// than 253 bytes.
std::optional<std::string> clean_host_name(std::string_view name);

// The child's environment: PROTO, TCP* (TCP6* too for IPv6; unknown names unset), then
// the rule's variables, which may override them.
mta::Status set_connection_env(
    mta::EnvBuilder& env, Endpoints const& e, std::optional<mta::tcp_rules::Rule> const& rule);

} // namespace tcpserver
