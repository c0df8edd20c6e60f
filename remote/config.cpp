#include "config.hpp"

#include "control.hpp"
#include "domain.hpp"
#include "exit_codes.hpp"
#include "fd.hpp"
#include "install_root.hpp"
#include "log.hpp"

#include <sys/stat.h>
#include <unistd.h>

namespace remote {

namespace {

// Reads ROOT/control/NAME files; the first one that exists but cannot be read, or holds
// a bad value, clears ok and the rest is not worth reading.
struct ControlReader {
    std::string const& root;
    bool ok = true;

    std::optional<std::string> line(char const* name)
    {
        auto got = mta::control::read_line(root + "/control/" + name);
        ok = ok && got.ok();
        return got ? *got : std::nullopt;
    }

    std::vector<std::string> lines(char const* name)
    {
        auto got = mta::control::read_lines(root + "/control/" + name);
        ok = ok && got.ok();
        return got && *got ? **got : std::vector<std::string>();
    }

    int seconds(char const* name, int fallback)
    {
        auto got = mta::control::read_int(root + "/control/" + name);
        if (!got || (*got && (**got <= 0 || **got > 86400))) {
            ok = false;
            return fallback;
        }
        return got->has_value() ? static_cast<int>(**got) : fallback;
    }
};

} // namespace

[[noreturn]] void die_record(std::string const& record)
{
    std::string out = record;
    out += '\0';
    (void)mta::write_all(1, out);
    ::_exit(mta::kExitOk);
}

bool tls_required(std::vector<std::string> const& tlsdestinations, std::string const& host)
{
    std::string const h = mta::lowercase_domain(host);
    for (auto const& l : tlsdestinations) {
        std::string const d = mta::lowercase_domain(l);
        if (d == h || (d.starts_with('.') && h.size() > d.size() && h.ends_with(d)))
            return true;
    }
    return false;
}

bool read_controls(Config& c)
{
    ControlReader r { c.root };
    auto me = r.line("me");
    auto helo = r.line("helohost");
    if (!r.ok || (!helo && !me))
        return false;
    c.helohost = helo ? *helo : *me;
    c.timeoutconnect = r.seconds("timeoutconnect", c.timeoutconnect);
    c.timeoutremote = r.seconds("timeoutremote", c.timeoutremote);
    c.timeoutdns = r.seconds("timeoutdns", c.timeoutdns);
    c.locals = r.lines("locals");
    if (me) // our own name counts for the self-MX rule even when locals omits it
        c.locals.push_back(*me);
    c.smtproutes = r.lines("smtproutes");
    c.resolvers = r.lines("resolvers");
    c.tlsdestinations = r.lines("tlsdestinations");
    std::string const ca = c.root + "/control/tlsca";
    struct stat st;
    if (::stat(ca.c_str(), &st) == 0)
        c.tlsca = ca;
    else if (errno != ENOENT)
        return false;
    return r.ok;
}

Config load_config(int argc, char** argv)
{
    if (argc < 4)
        mta::log::fatal(mta::kExitPerm, "usage: remote host sender recipient [ recipient ... ]");
    Config c;
    c.host = argv[1];
    c.sender = argv[2];
    c.recipients.assign(argv + 3, argv + argc);
    auto root = mta::install_root();
    if (!root)
        die_record(kControlTrouble);
    c.root = *root;
    if (!read_controls(c))
        die_record(kControlTrouble);
    return c;
}

} // namespace remote
