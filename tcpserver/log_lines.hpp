// log_lines - tcpserver's -v lines on stderr, byte for byte as ucspi-tcp 0.88 prints them:
//
//     tcpserver: status: 1/40
//     tcpserver: pid 1234 from 127.0.0.1
//     tcpserver: ok 1234 mx.example.org:127.0.0.1:25 localhost:127.0.0.1::41532
//     tcpserver: deny 1234 0:127.0.0.1:25 :10.1.2.3::41533
//     tcpserver: end 1234 status 0
// plus our own "tcpserver: perip 5/5 from 127.0.0.1" when the per-IP limit refuses one.
// ok/deny name LOCALHOST:LOCALIP:LOCALPORT REMOTEHOST:REMOTEIP:REMOTEINFO:REMOTEPORT, an
// unknown name or info being empty. Names and info pass through ucspi's safecats: bytes
// outside '!'..'~', '%' and ':' become '?', and only the first 100 bytes are kept, followed
// by "...". IP addresses are printed as they are (an IPv6 address keeps its colons, as in
// the IPv6 ucspi-tcp forks). The status in "end" is the raw wait status (exit 100 = 25600).
// Every function returns one line without the final LF; none fails.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace tcpserver {

// What the child knows about its connection (the TCP* environment).
struct Endpoints {
    bool v6 = false; // PROTO=TCP6
    std::string local_ip;
    std::string local_port;
    std::optional<std::string> local_host;
    std::string remote_ip;
    std::string remote_port;
    std::optional<std::string> remote_host;
    std::optional<std::string> remote_info;
};

std::string safe_text(std::string_view text);
std::string status_line(unsigned long children, unsigned long limit);
std::string pid_line(pid_t pid, std::string_view remote_ip);
std::string verdict_line(bool deny, pid_t pid, Endpoints const& e);
std::string end_line(pid_t pid, int wait_status);
std::string perip_line(unsigned long count, unsigned long limit, std::string_view remote_ip);

} // namespace tcpserver
