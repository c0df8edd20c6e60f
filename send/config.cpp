#include "config.hpp"

#include "control.hpp"

namespace send {

namespace {

// Reads one control file; false (and problem set) when it exists but cannot be read.
class Controls {
public:
    Controls(std::string const& root, std::string& problem)
        : m_root(root)
        , m_problem(problem)
    {
    }

    bool line(const char* name, std::optional<std::string>& out)
    {
        auto r = mta::control::read_line(path(name));
        if (!r)
            return fail(name, r.error());
        out = std::move(*r);
        return true;
    }
    bool lines(const char* name, std::optional<std::vector<std::string>>& out)
    {
        auto r = mta::control::read_lines(path(name));
        if (!r)
            return fail(name, r.error());
        out = std::move(*r);
        return true;
    }
    bool number(const char* name, long long max, long long& out)
    {
        auto r = mta::control::read_int(path(name));
        if (!r)
            return fail(name, r.error());
        if (!*r)
            return true;
        if (**r < 0 || **r > max)
            return fail(name, mta::Error::plain("number out of range"));
        out = **r;
        return true;
    }

private:
    std::string path(const char* name) const { return m_root + "/control/" + name; }
    bool fail(const char* name, mta::Error error)
    {
        m_problem = std::string("unable to read control/") + name + ": " + error.text();
        return false;
    }

    std::string const& m_root;
    std::string& m_problem;
};

bool read_routing(Controls& controls, std::optional<std::string> const& me, Routing& routing)
{
    std::optional<std::vector<std::string>> locals, vdoms;
    if (!controls.lines("locals", locals) || !controls.lines("virtualdomains", vdoms))
        return false;
    if (!locals && me)
        locals = std::vector<std::string> { *me };
    routing.locals = make_domain_set(locals.value_or(std::vector<std::string> {}));
    routing.virtualdomains = make_virtual_domains(vdoms.value_or(std::vector<std::string> {}));
    return true;
}

} // namespace

std::optional<Config> load_config(std::string const& root, std::string& problem)
{
    Controls controls(root, problem);
    Config config;
    std::optional<std::string> me, envnoathost, bouncefrom, bouncehost, dbto, dbhost;
    std::optional<std::vector<std::string>> percenthack;
    if (!controls.line("me", me) || !controls.line("envnoathost", envnoathost)
        || !controls.line("bouncefrom", bouncefrom) || !controls.line("bouncehost", bouncehost)
        || !controls.line("doublebounceto", dbto) || !controls.line("doublebouncehost", dbhost)
        || !controls.lines("percenthack", percenthack))
        return std::nullopt;
    // Like qmail's control_rldef: the file, else me, else the file's own name.
    auto host = [&](std::optional<std::string> const& value, const char* name) {
        return value ? *value : me ? *me : std::string(name);
    };
    config.routing.envnoathost = host(envnoathost, "envnoathost");
    config.bouncehost = host(bouncehost, "bouncehost");
    config.doublebouncehost = host(dbhost, "doublebouncehost");
    config.bouncefrom = bouncefrom.value_or("MAILER-DAEMON");
    config.doublebounceto = dbto.value_or("postmaster");
    config.routing.percenthack = make_domain_set(percenthack.value_or(std::vector<std::string> {}));
    if (!read_routing(controls, me, config.routing))
        return std::nullopt;
    long long local = config.concurrency[0], remote = config.concurrency[1];
    long long lifetime = config.queuelifetime;
    if (!controls.number("concurrencylocal", 100000, local)
        || !controls.number("concurrencyremote", 100000, remote)
        || !controls.number("queuelifetime", 100LL * 365 * 86400, lifetime))
        return std::nullopt;
    config.concurrency[0] = static_cast<unsigned>(local);
    config.concurrency[1] = static_cast<unsigned>(remote);
    config.queuelifetime = static_cast<time_t>(lifetime);
    return config;
}

bool reload_routing(std::string const& root, Routing& routing, std::string& problem)
{
    Controls controls(root, problem);
    std::optional<std::string> me;
    if (!controls.line("me", me))
        return false;
    Routing fresh = routing;
    if (!read_routing(controls, me, fresh))
        return false;
    routing = std::move(fresh);
    return true;
}

} // namespace send
