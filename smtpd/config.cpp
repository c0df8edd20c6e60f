#include "config.hpp"

#include "assign.hpp"
#include "cdb.hpp"
#include "control.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cstring>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

namespace smtpd {

namespace {

constexpr long long kDefaultTimeout = 1200;
constexpr long long kDefaultMaxRcpt = 1000;

// Reads control files, remembering the first failure.
class Controls {
public:
    explicit Controls(std::string const& root)
        : m_dir(root + "/control/")
    {
    }

    std::optional<std::string> line(char const* name)
    {
        if (failed())
            return std::nullopt;
        auto r = mta::control::read_line(m_dir + name);
        if (!r)
            return fail(name, r.error()), std::nullopt;
        return *r;
    }

    std::optional<std::vector<std::string>> lines(char const* name)
    {
        if (failed())
            return std::nullopt;
        auto r = mta::control::read_lines(m_dir + name);
        if (!r)
            return fail(name, r.error()), std::nullopt;
        return *r;
    }

    long long number(char const* name, long long fallback)
    {
        if (failed())
            return fallback;
        auto r = mta::control::read_int(m_dir + name);
        if (!r)
            return fail(name, r.error()), fallback;
        return r->value_or(fallback);
    }

    void fail(char const* name, mta::Error error)
    {
        if (!m_error)
            m_error = ConfigError { m_dir + name, error };
    }
    bool failed() const { return m_error.has_value(); }
    std::optional<ConfigError> const& error() const { return m_error; }

private:
    std::string m_dir;
    std::optional<ConfigError> m_error;
};

// Without rcpthosts: the locals, and the virtualdomains entries that name a domain, a
// ".suffix" or one address (never the catch-all ":prefix", which would relay anything).
void default_hosts(Controls& controls, Config& config)
{
    auto locals = controls.lines("locals");
    for (auto const& host : locals.value_or(std::vector<std::string> { config.me }))
        config.hosts.push_back(mta::assign::lowercase(host));
    for (auto const& entry :
        controls.lines("virtualdomains").value_or(std::vector<std::string> {})) {
        std::string const key = mta::assign::lowercase(entry.substr(0, entry.find(':')));
        if (key.empty())
            continue;
        if (key.find('@') != std::string::npos)
            config.addresses.push_back(key);
        else
            config.hosts.push_back(key);
    }
}

void load_hosts(Controls& controls, Config& config)
{
    auto rcpthosts = controls.lines("rcpthosts");
    if (rcpthosts) {
        config.have_rcpthosts = true;
        for (auto const& host : *rcpthosts)
            config.hosts.push_back(mta::assign::lowercase(host));
    } else {
        default_hosts(controls, config);
    }
    for (auto const& entry : controls.lines("badmailfrom").value_or(std::vector<std::string> {}))
        config.badmailfrom.push_back(mta::assign::lowercase(entry));
}

void load_limits(Controls& controls, Config& config, EnvGet const& env)
{
    long long const timeout = controls.number("timeoutsmtpd", kDefaultTimeout);
    config.timeout_ms = static_cast<int>(std::clamp(timeout, 1LL, 86400LL) * 1000);
    long long const databytes = controls.number("databytes", 0);
    config.databytes = databytes > 0 ? static_cast<std::uint64_t>(databytes) : 0;
    if (auto value = env("DATABYTES")) {
        auto n = mta::control::parse_int(*value);
        if (n)
            config.databytes = *n > 0 ? static_cast<std::uint64_t>(*n) : 0;
    }
    long long const maxrcpt = controls.number("maxrcpt", kDefaultMaxRcpt);
    config.maxrcpt = static_cast<std::size_t>(std::max(maxrcpt, 1LL));
}

void load_peer(Config& config, Options const& options, EnvGet const& env)
{
    auto get = [&](char const* name, std::string_view fallback) {
        auto value = env(name);
        return std::string(value ? *value : fallback);
    };
    if (options.local_user) {
        config.relayclient = "";
        config.remote_host = "localhost";
        config.remote_ip = "uid " + std::to_string(::getuid());
        config.local_host = config.me;
        return;
    }
    if (auto relay = env("RELAYCLIENT"))
        config.relayclient = std::string(*relay);
    config.remote_ip = get("TCPREMOTEIP", "unknown");
    config.remote_host = get("TCPREMOTEHOST", "unknown");
    config.remote_info = get("TCPREMOTEINFO", "");
    config.local_ip = get("TCPLOCALIP", "");
    config.local_host = get("TCPLOCALHOST", config.local_ip.empty() ? "unknown" : config.local_ip);
}

bool host_matches(std::vector<std::string> const& hosts, std::string_view host)
{
    return std::find(hosts.begin(), hosts.end(), host) != hosts.end();
}

// The domain and each of its suffixes that starts at a dot: a.b.c, .b.c, .c
template <class F> bool any_suffix(std::string_view domain, F const& found)
{
    if (found(domain))
        return true;
    for (size_t dot = domain.find('.'); dot != std::string_view::npos;
         dot = domain.find('.', dot + 1))
        if (found(domain.substr(dot)))
            return true;
    return false;
}

// The bytes of an IPv4 or IPv6 address literal, or its family 0 when it is none.
struct Ip {
    int family = 0;
    unsigned char bytes[16] = {};
};

Ip parse_ip(std::string_view text)
{
    Ip ip;
    std::string s(text);
    if (::inet_pton(AF_INET, s.c_str(), ip.bytes) == 1)
        ip.family = AF_INET;
    else if (::inet_pton(AF_INET6, s.c_str(), ip.bytes) == 1)
        ip.family = AF_INET6;
    return ip;
}

bool same_ip(Ip const& a, Ip const& b)
{
    size_t const n = a.family == AF_INET ? 4 : 16;
    return a.family != 0 && a.family == b.family && std::memcmp(a.bytes, b.bytes, n) == 0;
}

bool is_interface_address(Ip const& ip)
{
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) == -1)
        return false;
    bool found = false;
    for (ifaddrs* i = list; i && !found; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != ip.family)
            continue;
        Ip mine;
        mine.family = ip.family;
        if (ip.family == AF_INET)
            std::memcpy(mine.bytes, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, 4);
        else
            std::memcpy(mine.bytes, &reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr, 16);
        found = same_ip(mine, ip);
    }
    ::freeifaddrs(list);
    return found;
}

} // namespace

std::optional<Options> parse_options(int argc, char const* const* argv)
{
    Options options;
    for (int i = 1; i < argc; ++i) {
        std::string_view const arg = argv[i];
        if (arg == "-s")
            options.implicit_tls = true;
        else if (arg == "-L")
            options.local_user = true;
        else
            return std::nullopt;
    }
    return options;
}

std::variant<Config, ConfigError> load_config(
    std::string const& root, Options const& options, EnvGet const& env)
{
    Config config;
    config.root = root;
    Controls controls(root);
    auto me = controls.line("me");
    auto greeting = controls.line("smtpgreeting");
    auto localiphost = controls.line("localiphost");
    if (me && me->empty()) // no host name to greet with: as bad as no file
        controls.fail("me", mta::Error::plain("the file is empty"));
    if (!controls.failed() && !me && !greeting)
        controls.fail("me", mta::Error { ENOENT, "unable to open for reading" });
    config.me = me.value_or(greeting.value_or(""));
    config.greeting = greeting.value_or(config.me);
    config.localiphost = localiphost.value_or(config.me);
    load_limits(controls, config, env);
    load_hosts(controls, config);
    if (controls.failed())
        return *controls.error();
    config.local_user = options.local_user;
    auto smtps = env("SMTPS");
    config.implicit_tls = options.implicit_tls || (smtps && *smtps == "1");
    auto submission = env("SUBMISSION");
    config.submission = submission ? *submission == "1" : config.implicit_tls;
    config.cert_file = root + "/control/tls/cert.pem";
    config.key_file = root + "/control/tls/key.pem";
    config.tls_files = ::access(config.cert_file.c_str(), R_OK) == 0
        && ::access(config.key_file.c_str(), R_OK) == 0;
    load_peer(config, options, env);
    return config;
}

mta::Result<bool> rcpthost_allowed(
    Config const& config, std::string_view local, std::string_view domain)
{
    if (domain.empty())
        return true;
    std::string const host = mta::assign::lowercase(domain);
    if (any_suffix(host, [&](std::string_view h) { return host_matches(config.hosts, h); }))
        return true;
    if (!config.have_rcpthosts)
        return host_matches(config.addresses, mta::assign::lowercase(local) + "@" + host);
    auto db = mta::Cdb::open(config.root + "/control/morercpthosts.cdb");
    if (!db)
        return db.error().errnum == ENOENT ? mta::Result<bool>(false) : db.error();
    bool found = false;
    mta::Error error {};
    bool failed = false;
    any_suffix(host, [&](std::string_view h) {
        auto r = db->contains(h);
        if (!r) {
            failed = true;
            error = r.error();
            return true;
        }
        found = *r;
        return found;
    });
    if (failed)
        return error;
    return found;
}

bool in_badmailfrom(Config const& config, std::string_view local, std::string_view domain)
{
    if (config.badmailfrom.empty())
        return false;
    std::string const host = mta::assign::lowercase(domain);
    std::string const address = domain.empty() ? mta::assign::lowercase(local)
                                               : mta::assign::lowercase(local) + "@" + host;
    return host_matches(config.badmailfrom, address)
        || (!domain.empty() && host_matches(config.badmailfrom, "@" + host));
}

bool is_local_literal(Config const& config, std::string_view domain)
{
    if (domain.size() < 3 || domain.front() != '[' || domain.back() != ']')
        return false;
    std::string_view inner = domain.substr(1, domain.size() - 2);
    if (inner.size() > 5 && mta::assign::lowercase(inner.substr(0, 5)) == "ipv6:")
        inner.remove_prefix(5);
    Ip const ip = parse_ip(inner);
    if (ip.family == 0)
        return false;
    if (ip.family == AF_INET && ip.bytes[0] == 127)
        return true;
    static constexpr unsigned char kLoopback6[16]
        = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
    if (ip.family == AF_INET6 && std::memcmp(ip.bytes, kLoopback6, 16) == 0)
        return true;
    if (same_ip(ip, parse_ip(config.local_ip)))
        return true;
    return is_interface_address(ip);
}

} // namespace smtpd

namespace smtpd {

mta::Result<Mailbox> RecipientTable::check(std::string_view local, std::string_view domain)
{
    if (domain.empty())
        return Mailbox::not_virtual;
    if (!m_opened) {
        auto cdb = mta::Cdb::open(m_path);
        if (!cdb && cdb.error().errnum != ENOENT)
            return cdb.error();
        if (cdb)
            m_cdb.emplace(std::move(*cdb));
        m_opened = true;
    }
    if (!m_cdb)
        return Mailbox::not_virtual;
    std::string const at_domain = "@" + mta::assign::lowercase(domain);
    auto kind = m_cdb->find(at_domain);
    if (!kind)
        return kind.error();
    if (!*kind)
        return Mailbox::not_virtual;
    if (**kind == "catchall")
        return Mailbox::valid;
    std::string const box = mta::assign::lowercase(local);
    auto exact = m_cdb->contains(box + at_domain);
    if (!exact)
        return exact.error();
    if (*exact)
        return Mailbox::valid;
    for (size_t dash = box.find('-'); dash != std::string::npos; dash = box.find('-', dash + 1)) {
        auto prefix = m_cdb->find(box.substr(0, dash + 1) + at_domain);
        if (!prefix)
            return prefix.error();
        if (*prefix && **prefix == "extension")
            return Mailbox::valid;
    }
    return Mailbox::unknown;
}

} // namespace smtpd
