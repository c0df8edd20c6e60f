#include "routes.hpp"

#include "domain.hpp"
#include "number.hpp"

namespace remote {

namespace {

// The key of a line: everything before the first ':'.
std::string_view key_of(std::string_view line)
{
    return line.substr(0, line.find(':'));
}

bool same_host(std::string_view a, std::string_view b)
{
    return mta::lowercase_domain(a) == mta::lowercase_domain(b);
}

} // namespace

mta::Result<Route> parse_relay(std::string_view text)
{
    Route route;
    std::string_view port;
    if (text.starts_with('[')) {
        auto close = text.find(']');
        if (close == std::string_view::npos)
            return mta::Error::plain("unterminated address literal in smtproutes");
        route.relay = std::string(text.substr(0, close + 1));
        std::string_view rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest[0] != ':')
                return mta::Error::plain("bad relay in smtproutes");
            port = rest.substr(1);
        }
    } else {
        auto colon = text.find(':');
        route.relay = std::string(text.substr(0, colon));
        if (colon != std::string_view::npos)
            port = text.substr(colon + 1);
    }
    if (!port.empty() || text.ends_with(':')) {
        auto value = mta::parse_decimal<unsigned>(port);
        if (!value || *value == 0 || *value > 65535)
            return mta::Error::plain("bad port in smtproutes");
        route.port = *value;
    }
    return route;
}

mta::Result<std::optional<Route>> find_route(
    std::vector<std::string> const& lines, std::string_view host)
{
    // The keys to try, in order: host, .b.c, .c, "".
    std::vector<std::string_view> keys { host };
    for (size_t i = host.find('.'); i != std::string_view::npos; i = host.find('.', i + 1))
        keys.push_back(host.substr(i));
    keys.push_back(std::string_view());
    for (std::string_view key : keys) {
        for (auto const& line : lines) {
            if (line.find(':') == std::string::npos || !same_host(key_of(line), key))
                continue;
            auto route = parse_relay(std::string_view(line).substr(line.find(':') + 1));
            if (!route)
                return route.error();
            return std::optional<Route>(*route);
        }
    }
    return std::optional<Route>();
}

std::optional<std::string> literal_address(std::string_view relay)
{
    if (relay.size() < 3 || relay.front() != '[' || relay.back() != ']')
        return std::nullopt;
    std::string_view inside = relay.substr(1, relay.size() - 2);
    if (inside.size() > 5 && mta::lowercase_domain(inside.substr(0, 5)) == "ipv6:")
        inside.remove_prefix(5);
    return std::string(inside);
}

} // namespace remote
