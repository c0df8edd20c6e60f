#include "log_lines.hpp"

namespace tcpserver {

namespace {

constexpr size_t kMaxSafeBytes = 100;

std::string optional_text(std::optional<std::string> const& text)
{
    return text ? safe_text(*text) : std::string();
}

} // namespace

std::string safe_text(std::string_view text)
{
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (i == kMaxSafeBytes)
            return out + "...";
        char c = text[i];
        if (c < '!' || c > '~' || c == '%' || c == ':')
            c = '?';
        out += c;
    }
    return out;
}

std::string status_line(unsigned long children, unsigned long limit)
{
    return "tcpserver: status: " + std::to_string(children) + "/" + std::to_string(limit);
}

std::string pid_line(pid_t pid, std::string_view remote_ip)
{
    return "tcpserver: pid " + std::to_string(pid) + " from " + std::string(remote_ip);
}

std::string verdict_line(bool deny, pid_t pid, Endpoints const& e)
{
    return std::string("tcpserver: ") + (deny ? "deny " : "ok ") + std::to_string(pid) + " "
        + optional_text(e.local_host) + ":" + e.local_ip + ":" + e.local_port + " "
        + optional_text(e.remote_host) + ":" + e.remote_ip + ":" + optional_text(e.remote_info)
        + ":" + e.remote_port;
}

std::string end_line(pid_t pid, int wait_status)
{
    return "tcpserver: end " + std::to_string(pid) + " status " + std::to_string(wait_status);
}

std::string perip_line(unsigned long count, unsigned long limit, std::string_view remote_ip)
{
    return "tcpserver: perip " + std::to_string(count) + "/" + std::to_string(limit) + " from "
        + std::string(remote_ip);
}

} // namespace tcpserver
