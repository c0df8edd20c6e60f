#include "rewrite.hpp"

namespace send {

namespace {

constexpr std::string_view kVerpSuffix = "-@[]";

std::string lower(std::string_view text)
{
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

bool contains(std::unordered_set<std::string> const& set, std::string_view key)
{
    return set.count(lower(key)) != 0;
}

std::string const* find_prefix(Routing const& routing, std::string_view key)
{
    auto it = routing.virtualdomains.find(lower(key));
    return it == routing.virtualdomains.end() ? nullptr : &it->second;
}

} // namespace

std::unordered_set<std::string> make_domain_set(std::vector<std::string> const& lines)
{
    std::unordered_set<std::string> out;
    for (auto const& line : lines)
        out.insert(lower(line));
    return out;
}

std::unordered_map<std::string, std::string> make_virtual_domains(
    std::vector<std::string> const& lines)
{
    std::unordered_map<std::string, std::string> out;
    for (auto const& line : lines) {
        auto colon = line.find(':');
        if (colon != std::string::npos)
            out.insert_or_assign(lower(line.substr(0, colon)), line.substr(colon + 1));
    }
    return out;
}

Route rewrite(Routing const& routing, std::string_view recipient)
{
    std::string addr(recipient);
    size_t at = addr.rfind('@');
    if (at == std::string::npos) {
        at = addr.size();
        addr += '@';
        addr += routing.envnoathost;
    }
    // user%host@gateway -> user@host, as long as the domain is a percenthack one.
    while (contains(routing.percenthack, std::string_view(addr).substr(at + 1))) {
        size_t percent = std::string_view(addr).substr(0, at).rfind('%');
        if (percent == std::string::npos)
            break;
        addr.resize(at);
        at = percent;
        addr[at] = '@';
    }
    at = addr.rfind('@');
    if (contains(routing.locals, std::string_view(addr).substr(at + 1)))
        return { Channel::local, addr };
    for (size_t i = 0; i <= addr.size(); ++i) {
        bool const key_start
            = i == 0 || i == at + 1 || i == addr.size() || (i > at && addr[i] == '.');
        if (!key_start)
            continue;
        if (std::string const* prefix = find_prefix(routing, std::string_view(addr).substr(i))) {
            if (prefix->empty())
                break;
            return { Channel::local, *prefix + "-" + addr };
        }
    }
    return { Channel::remote, addr };
}

std::string strip_virtual_prefix(Routing const& routing, std::string_view address)
{
    size_t at = address.rfind('@');
    if (at == std::string_view::npos)
        return std::string(address);
    std::string_view const domain = address.substr(at + 1);
    for (size_t i = 0; i <= domain.size(); ++i) {
        if (i != 0 && i != domain.size() && domain[i] != '.')
            continue;
        if (std::string const* prefix = find_prefix(routing, domain.substr(i))) {
            if (!prefix->empty() && address.starts_with(*prefix) && address.size() > prefix->size()
                && address[prefix->size()] == '-')
                return std::string(address.substr(prefix->size() + 1));
            break;
        }
    }
    return std::string(address);
}

std::string verp_sender(std::string_view sender, std::string_view recipient)
{
    if (!sender.ends_with(kVerpSuffix))
        return std::string(sender);
    size_t const end = sender.size() - kVerpSuffix.size(); // "prefix-@host"
    size_t const host_at = sender.substr(0, end).rfind('@');
    size_t const box_at = recipient.rfind('@');
    if (host_at == std::string_view::npos || box_at == std::string_view::npos)
        return std::string(sender);
    std::string out(sender.substr(0, host_at)); // "prefix-"
    out += recipient.substr(0, box_at);
    out += '=';
    out += recipient.substr(box_at + 1);
    out += '@';
    out += sender.substr(host_at + 1, end - host_at - 1);
    return out;
}

std::string bounce_recipient(std::string_view sender)
{
    if (sender.ends_with(kVerpSuffix))
        return std::string(sender.substr(0, sender.size() - kVerpSuffix.size()));
    return std::string(sender);
}

} // namespace send
