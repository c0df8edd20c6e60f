#include "control_files.hpp"

#include "address.hpp"
#include "control.hpp"
#include "fd.hpp"
#include "services.hpp"

#include <algorithm>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace admin {

namespace {

constexpr long long kDay = 86400;

std::string line_prefix(size_t index)
{
    return "line " + std::to_string(index + 1) + ": ";
}

std::string check_host(std::string_view host)
{
    if (auto st = mta::check_domain(host); !st)
        return std::string(st.error().what) + ": " + std::string(host);
    return "";
}

std::string check_rcpthost(std::string_view host)
{
    if (!host.empty() && host.front() == '.')
        host.remove_prefix(1);
    return check_host(host);
}

std::string check_local_part(std::string_view local)
{
    if (local.empty())
        return "empty local part";
    if (local.find_first_of("@ \t") != std::string_view::npos)
        return "bad local part: " + std::string(local);
    return "";
}

std::string check_virtual_domain(std::string_view line)
{
    auto colon = line.find(':');
    if (colon == std::string_view::npos)
        return "want [user@]domain:prefix: " + std::string(line);
    std::string_view key = line.substr(0, colon);
    std::string_view prefix = line.substr(colon + 1);
    if (prefix.find_first_of(" \t@:") != std::string_view::npos)
        return "bad prefix: " + std::string(prefix);
    if (key.empty())
        return "";
    auto at = key.rfind('@');
    std::string_view domain = at == std::string_view::npos ? key : key.substr(at + 1);
    return check_rcpthost(domain);
}

std::string check_port(std::string_view port)
{
    auto n = mta::control::parse_int(port);
    if (!n || *n < 1 || *n > 65535)
        return "bad port: " + std::string(port);
    return "";
}

std::string check_smtp_route(std::string_view line)
{
    auto colon = line.find(':');
    if (colon == std::string_view::npos)
        return "want domain:relay[:port]: " + std::string(line);
    std::string_view domain = line.substr(0, colon);
    std::string_view relay = line.substr(colon + 1);
    if (!domain.empty())
        if (auto p = check_rcpthost(domain); !p.empty())
            return p;
    if (relay.empty())
        return "";
    // [IPv6] relays contain colons: the port follows the closing bracket.
    size_t port_colon = relay.front() == '['
        ? relay.find(
            ':', relay.find(']') == std::string_view::npos ? relay.size() : relay.find(']'))
        : relay.find(':');
    if (port_colon != std::string_view::npos) {
        if (auto p = check_port(relay.substr(port_colon + 1)); !p.empty())
            return p;
        relay = relay.substr(0, port_colon);
    }
    // "key::port": DNS as usual, on another port (remote(8)).
    return relay.empty() ? "" : check_host(relay);
}

std::string check_bad_mail_from(std::string_view line)
{
    if (!line.empty() && line.front() == '@')
        return check_host(line.substr(1));
    if (auto a = mta::parse_addr_spec(line); !a)
        return std::string(a.error().what) + ": " + std::string(line);
    return "";
}

// login:address or login:@domain; the login is an address (no ':').
std::string check_auth_sender(std::string_view line)
{
    auto const colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
        return "want login:address or login:@domain: " + std::string(line);
    if (auto p = check_bad_mail_from(line.substr(colon + 1)); !p.empty())
        return p;
    return "";
}

std::vector<std::string> validate_list(ControlFile const& file, std::string_view content)
{
    auto items = mta::control::parse_lines(content);
    if (!items)
        return { items.error().text() };
    std::vector<std::string> problems;
    std::set<std::string> seen;
    for (size_t i = 0; i < items->size(); ++i) {
        std::string const& item = (*items)[i];
        if (auto p = check_item(file.kind, item); !p.empty())
            problems.push_back(line_prefix(i) + p);
        std::string key = file.kind == ValueKind::Services ? item.substr(0, item.find('=')) : item;
        if (!seen.insert(key).second)
            problems.push_back(line_prefix(i) + "duplicate entry: " + key);
    }
    return problems;
}

std::vector<std::string> validate_single(ControlFile const& file, std::string_view content)
{
    auto line = mta::control::parse_first_line(content);
    if (!line)
        return { line.error().text() };
    std::string_view value = *line;
    switch (file.kind) {
    case ValueKind::Host:
        if (auto p = check_host(value); !p.empty())
            return { p };
        return {};
    case ValueKind::LocalPart:
        if (auto p = check_local_part(value); !p.empty())
            return { p };
        return {};
    case ValueKind::Text:
        if (value.empty())
            return { "empty" };
        return {};
    case ValueKind::Integer: {
        auto n = mta::control::parse_int(value);
        if (!n)
            return { std::string(n.error().what) + ": " + std::string(value) };
        if (*n < file.min || *n > file.max)
            return { "out of range: " + std::string(value) + " (want " + std::to_string(file.min)
                + ".." + std::to_string(file.max) + ")" };
        return {};
    }
    default:
        return {};
    }
}

bool is_list(ValueKind kind)
{
    return kind == ValueKind::DomainList || kind == ValueKind::RcptHostList
        || kind == ValueKind::VirtualDomains || kind == ValueKind::SmtpRoutes
        || kind == ValueKind::BadMailFrom || kind == ValueKind::Services
        || kind == ValueKind::AuthSenders;
}

} // namespace

std::string check_item(ValueKind kind, std::string_view item)
{
    switch (kind) {
    case ValueKind::DomainList:
        return check_host(item);
    case ValueKind::RcptHostList:
        return check_rcpthost(item);
    case ValueKind::VirtualDomains:
        return check_virtual_domain(item);
    case ValueKind::SmtpRoutes:
        return check_smtp_route(item);
    case ValueKind::BadMailFrom:
        return check_bad_mail_from(item);
    case ValueKind::AuthSenders:
        return check_auth_sender(item);
    case ValueKind::Services:
        if (auto l = parse_listen(item); !l)
            return std::string(l.error().what) + ": " + std::string(item);
        return "";
    default:
        return "";
    }
}

std::vector<ControlFile> const& known_control_files()
{
    static std::vector<ControlFile> const files = {
        { "me", ValueKind::Host },
        { "locals", ValueKind::DomainList },
        { "rcpthosts", ValueKind::RcptHostList },
        { "morercpthosts", ValueKind::RcptHostList },
        { "percenthack", ValueKind::DomainList },
        { "virtualdomains", ValueKind::VirtualDomains },
        { "bouncefrom", ValueKind::LocalPart },
        { "bouncehost", ValueKind::Host },
        { "doublebouncehost", ValueKind::Host },
        { "doublebounceto", ValueKind::LocalPart },
        { "envnoathost", ValueKind::Host },
        { "concurrencylocal", ValueKind::Integer, 1, 500 },
        { "concurrencyremote", ValueKind::Integer, 0, 500 },
        { "queuelifetime", ValueKind::Integer, 0, 365 * kDay },
        { "helohost", ValueKind::Host },
        { "smtproutes", ValueKind::SmtpRoutes },
        { "timeoutconnect", ValueKind::Integer, 1, kDay },
        { "timeoutremote", ValueKind::Integer, 1, kDay },
        { "timeoutsmtpd", ValueKind::Integer, 1, kDay },
        { "databytes", ValueKind::Integer, 0, 2147483647 },
        { "maxrcpt", ValueKind::Integer, 1, 1000000 },
        { "defaultdomain", ValueKind::Host },
        { "defaulthost", ValueKind::Host },
        { "plusdomain", ValueKind::Host },
        { "idhost", ValueKind::Host },
        { "localiphost", ValueKind::Host },
        { "smtpgreeting", ValueKind::Text },
        { "badmailfrom", ValueKind::BadMailFrom },
        { "services", ValueKind::Services },
        { "authsenders", ValueKind::AuthSenders },
        { "authfaildelay", ValueKind::Integer, 0, 60 },
        { "checkpassword", ValueKind::Text },
        { "concurrencyincoming", ValueKind::Integer, 1, 10000 },
        { "timeoutdns", ValueKind::Integer, 1, kDay },
        { "tlsdestinations", ValueKind::RcptHostList },
    };
    return files;
}

ControlFile const* find_control_file(std::string_view name)
{
    for (auto const& f : known_control_files())
        if (name == f.name)
            return &f;
    return nullptr;
}

std::vector<std::string> validate_control_content(ControlFile const& file, std::string_view content)
{
    return is_list(file.kind) ? validate_list(file, content) : validate_single(file, content);
}

size_t edit_distance(std::string_view a, std::string_view b)
{
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t above = row[j];
            row[j] = std::min(
                { row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1) });
            diagonal = above;
        }
    }
    return row[b.size()];
}

namespace {

std::string likely_meant(std::string const& name)
{
    for (auto const& f : known_control_files())
        if (edit_distance(name, f.name) <= 2 && std::string_view(f.name).size() > 3)
            return f.name;
    return "";
}

void check_one_file(std::string const& path, ControlFile const& file, bool check_owners,
    std::vector<std::string>& problems)
{
    std::string const label = "control/" + std::string(file.name) + ": ";
    struct stat st;
    if (::stat(path.c_str(), &st) == -1 || !S_ISREG(st.st_mode)) {
        problems.push_back(label + "not a regular file");
        return;
    }
    if ((st.st_mode & 0004) == 0)
        problems.push_back(label + "not readable by the mail accounts (want mode 0644)");
    if (st.st_mode & 0022)
        problems.push_back(label + "writable by group or others (want mode 0644)");
    if (check_owners && st.st_uid != 0)
        problems.push_back(label + "owner uid " + std::to_string(st.st_uid) + ", want root");
    auto content = mta::read_file(path, mta::control::kMaxFileBytes);
    if (!content) {
        problems.push_back(label + content.error().text());
        return;
    }
    for (auto const& p : validate_control_content(file, *content))
        problems.push_back(label + p);
}

} // namespace

std::vector<std::string> check_control_files(std::string const& root, bool check_owners)
{
    std::vector<std::string> problems;
    std::string const dir = root + "/control";
    if (!find_control_file("me") || ::access((dir + "/me").c_str(), F_OK) == -1)
        problems.push_back("control/me: missing (run mailctl init)");
    auto names = mta::list_directory(dir);
    if (!names) {
        problems.push_back("control: " + names.error().text());
        return problems;
    }
    for (auto const& name : *names) {
        if (ControlFile const* file = find_control_file(name)) {
            check_one_file(dir + "/" + name, *file, check_owners, problems);
        } else if (auto meant = likely_meant(name); !meant.empty()) {
            problems.push_back(
                "control/" + name + ": unknown control file; did you mean " + meant + "?");
        }
    }
    return problems;
}

} // namespace admin
