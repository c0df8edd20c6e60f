// ident - the RFC 1413 lookup behind tcpserver's -r (TCPREMOTEINFO), as ucspi-tcp's
// remoteinfo(): connect from the local address to the client's port 113, ask
// "REMOTEPORT , LOCALPORT", read one reply line, all within the -t timeout.
//
//     auto info = tcpserver::ident_lookup(local, remote, 2);   // optional<std::string>
//
// Any failure (refused, timed out, an ERROR reply, a malformed or unsafe answer) gives
// nullopt: the connection goes on without TCPREMOTEINFO. parse_ident_reply() holds the
// rules: "RPORT , LPORT : USERID : OPSYS : USER" with the ports of the query; USER loses
// leading blanks and trailing blanks/CR and must be 1..128 bytes of '!'..'~' (it goes
// into environment variables, log lines and Received lines).
#pragma once

#include "listener.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tcpserver {

inline constexpr size_t kMaxIdentReply = 1000;
inline constexpr size_t kMaxIdentUser = 128;

std::optional<std::string> ident_lookup(
    SocketAddress const& local, SocketAddress const& remote, unsigned long timeout_seconds);

std::optional<std::string> parse_ident_reply(
    std::string_view reply, uint16_t remote_port, uint16_t local_port);

} // namespace tcpserver
