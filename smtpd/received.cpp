#include "received.hpp"

#include "date.hpp"

namespace smtpd {

namespace {

bool safe_byte(char c, bool loose)
{
    if (loose && (c == ' ' || c == '_'))
        return true;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return std::string_view(".@%+/=:-[]").find(c) != std::string_view::npos;
}

bool iequals(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = static_cast<char>(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return true;
}

} // namespace

std::string safe_text(std::string_view text, bool loose)
{
    std::string out(text);
    for (char& c : out)
        if (!safe_byte(c, loose))
            c = '?';
    return out;
}

std::string protocol_name(ReceivedInfo const& info)
{
    std::string name = info.utf8 ? "UTF8SMTP" : info.esmtp ? "ESMTP" : "SMTP";
    if (!info.tls.empty())
        name = info.utf8 ? "UTF8SMTPS" : "ESMTPS";
    if (!info.auth.empty())
        name = (name == "SMTP" ? "ESMTP" : name) + "A";
    return name;
}

std::string received_line(ReceivedInfo const& info, time_t now)
{
    std::string line = "Received: from ";
    line += safe_text(info.remote_host);
    if (!info.helo.empty() && !iequals(info.helo, info.remote_host)) {
        line += " (HELO ";
        line += safe_text(info.helo);
        line += ')';
    }
    line += " (";
    if (!info.remote_info.empty()) {
        line += safe_text(info.remote_info);
        line += '@';
    }
    line += safe_text(info.remote_ip, true);
    line += ")\n  by ";
    line += safe_text(info.local_host);
    line += " with ";
    line += protocol_name(info);
    if (!info.tls.empty()) {
        line += " (";
        line += safe_text(info.tls, true);
        line += ')';
    }
    if (!info.auth.empty()) {
        line += " (authenticated as ";
        line += safe_text(info.auth);
        line += ')';
    }
    line += "; ";
    line += mta::rfc822_date(now);
    line += '\n';
    return line;
}

} // namespace smtpd
