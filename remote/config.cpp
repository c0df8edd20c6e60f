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

constexpr char const* kControlTrouble = "ZUnable to read control files. (#4.3.0)\n";

[[noreturn]] void die_control()
{
    die_record(kControlTrouble);
}

std::optional<std::string> line(std::string const& root, char const* name)
{
    auto got = mta::control::read_line(root + "/control/" + name);
    if (!got)
        die_control();
    return *got;
}

std::vector<std::string> lines(std::string const& root, char const* name)
{
    auto got = mta::control::read_lines(root + "/control/" + name);
    if (!got)
        die_control();
    return got->value_or(std::vector<std::string>());
}

int seconds(std::string const& root, char const* name, int fallback)
{
    auto got = mta::control::read_int(root + "/control/" + name);
    if (!got || (*got && (**got <= 0 || **got > 86400)))
        die_control();
    return got->has_value() ? static_cast<int>(**got) : fallback;
}

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
        die_control();
    c.root = *root;
    auto me = line(c.root, "me");
    auto helo = line(c.root, "helohost");
    if (!helo && !me)
        die_control();
    c.helohost = helo ? *helo : *me;
    c.timeoutconnect = seconds(c.root, "timeoutconnect", c.timeoutconnect);
    c.timeoutremote = seconds(c.root, "timeoutremote", c.timeoutremote);
    c.timeoutdns = seconds(c.root, "timeoutdns", c.timeoutdns);
    c.locals = lines(c.root, "locals");
    if (me) // our own name counts for the self-MX rule even when locals omits it
        c.locals.push_back(*me);
    c.smtproutes = lines(c.root, "smtproutes");
    c.resolvers = lines(c.root, "resolvers");
    c.tlsdestinations = lines(c.root, "tlsdestinations");
    std::string const ca = c.root + "/control/tlsca";
    struct stat st;
    if (::stat(ca.c_str(), &st) == 0)
        c.tlsca = ca;
    else if (errno != ENOENT)
        die_control();
    return c;
}

} // namespace remote
