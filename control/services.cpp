#include "services.hpp"

#include <arpa/inet.h>
#include <charconv>

namespace admin {

namespace {

struct Standard {
    const char* name;
    int port;
};

constexpr Standard kStandard[] = {
    { "smtp", 25 },
    { "submission", 587 },
    { "smtps", 465 },
    { "pop3", 110 },
    { "pop3s", 995 },
    { "imap", 143 },
    { "imaps", 993 },
};

bool valid_ip(std::string const& text, int family)
{
    unsigned char buf[16];
    return ::inet_pton(family, text.c_str(), buf) == 1;
}

} // namespace

std::vector<std::string> const& service_names()
{
    static std::vector<std::string> const names = [] {
        std::vector<std::string> out;
        for (auto const& s : kStandard)
            out.emplace_back(s.name);
        return out;
    }();
    return names;
}

int standard_port(std::string_view service)
{
    for (auto const& s : kStandard)
        if (service == s.name)
            return s.port;
    return 0;
}

std::string Listen::to_string() const
{
    bool v6 = address.find(':') != std::string::npos;
    std::string host = v6 ? "[" + address + "]" : address;
    return service + "=" + host + ":" + std::to_string(port);
}

mta::Result<Listen> parse_listen(std::string_view text)
{
    auto equals = text.find('=');
    if (equals == std::string_view::npos)
        return mta::Error::plain("want SERVICE=ADDR:PORT");
    Listen out;
    out.service = std::string(text.substr(0, equals));
    if (standard_port(out.service) == 0)
        return mta::Error::plain("unknown service (want smtp, submission, smtps, pop3, pop3s, "
                                 "imap or imaps)");
    std::string_view rest = text.substr(equals + 1);
    auto colon = rest.rfind(':');
    if (colon == std::string_view::npos)
        return mta::Error::plain("want SERVICE=ADDR:PORT");
    std::string_view host = rest.substr(0, colon);
    std::string_view port = rest.substr(colon + 1);
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), out.port);
    if (ec != std::errc() || end != port.data() + port.size() || out.port < 1 || out.port > 65535)
        return mta::Error::plain("bad port (want 1..65535)");
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        out.address = std::string(host.substr(1, host.size() - 2));
        if (!valid_ip(out.address, AF_INET6))
            return mta::Error::plain("bad IPv6 address");
    } else {
        out.address = std::string(host);
        if (out.address != "*" && !valid_ip(out.address, AF_INET))
            return mta::Error::plain("bad address (want *, an IPv4 address or [IPv6])");
    }
    return out;
}

std::vector<Listen> default_services()
{
    std::vector<Listen> out;
    for (auto const& s : kStandard)
        out.push_back(Listen { s.name, "*", s.port });
    return out;
}

} // namespace admin
