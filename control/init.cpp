// mailctl init: the control files, aliases, services and TLS pair of a new install.
#include "address.hpp"
#include "auto_conf.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "fd.hpp"
#include "log.hpp"
#include "privs.hpp"
#include "service_dirs.hpp"
#include "services.hpp"
#include "tls_keys.hpp"

#include <cstdio>
#include <netdb.h>
#include <sys/stat.h>
#include <unistd.h>

namespace admin {

namespace {

struct InitOptions {
    std::string hostname;
    std::vector<Listen> listens;
    bool listen_given = false;
};

InitOptions parse_init_args(Args const& args)
{
    InitOptions out;
    for (size_t i = 0; i < args.size(); ++i) {
        std::string const& a = args[i];
        bool has_value = i + 1 < args.size();
        if (a == "--hostname" && has_value) {
            out.hostname = args[++i];
            if (auto st = mta::check_domain(out.hostname); !st)
                mta::log::fatal(
                    mta::kExitPerm, "bad --hostname " + out.hostname + ": " + st.error().what);
        } else if (a == "--listen" && has_value) {
            auto listen = parse_listen(args[++i]);
            if (!listen)
                mta::log::fatal(
                    mta::kExitPerm, "bad --listen " + args[i] + ": " + listen.error().what);
            out.listens.push_back(*listen);
        } else {
            mta::log::fatal(mta::kExitPerm,
                "usage: mailctl init [--hostname H] [--listen SERVICE=ADDR:PORT]...");
        }
    }
    out.listen_given = !out.listens.empty();
    if (out.listens.empty())
        out.listens = default_services();
    return out;
}

// This host's fully qualified name: the canonical name of gethostname().
std::string host_fqdn()
{
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) == -1)
        mta::log::fatal(mta::kExitTemp, "unable to get the host name; use --hostname",
            mta::Error::from_errno("gethostname"));
    addrinfo hints {};
    hints.ai_flags = AI_CANONNAME;
    addrinfo* info = nullptr;
    std::string out = name;
    if (::getaddrinfo(name, nullptr, &hints, &info) == 0) {
        if (info && info->ai_canonname)
            out = info->ai_canonname;
        ::freeaddrinfo(info);
    }
    if (out.find('.') == std::string::npos)
        mta::log::warn("this host's name " + out
            + " has no dot; run mailctl init --hostname with a fully qualified name "
              "(or edit control/me)");
    return out;
}

class Writer {
public:
    explicit Writer(std::string root)
        : m_root(std::move(root))
    {
    }

    // Writes ROOT/path when it is missing; says what it did either way.
    bool write_if_missing(
        std::string const& path, std::string const& content, mode_t mode, const char* owner)
    {
        std::string full = m_root + "/" + path;
        if (::access(full.c_str(), F_OK) == 0) {
            std::printf("kept %s (exists)\n", path.c_str());
            return false;
        }
        if (auto st = mta::write_file_atomic(full, content, mode); !st)
            mta::log::fatal(mta::kExitTemp, "unable to write " + full, st.error());
        set_owner(full, owner, mode);
        std::printf("wrote %s\n", path.c_str());
        return true;
    }

    void make_directory(std::string const& path, const char* owner, mode_t mode)
    {
        std::string full = m_root + "/" + path;
        if (::mkdir(full.c_str(), mode) == -1 && errno != EEXIST)
            mta::log::fatal(
                mta::kExitTemp, "unable to create " + full, mta::Error::from_errno("mkdir"));
        set_owner(full, owner, mode);
    }

    void set_owner(std::string const& full, const char* owner, mode_t mode)
    {
        if (::geteuid() != 0)
            return;
        auto account = mta::lookup_account(owner);
        if (!account)
            mta::log::fatal(mta::kExitTemp,
                std::string("no account ") + owner + " (run make install as root)",
                account.error());
        if (::chown(full.c_str(), account->uid, account->gid) == -1
            || ::chmod(full.c_str(), mode) == -1)
            mta::log::fatal(mta::kExitTemp, "unable to set the owner of " + full,
                mta::Error::from_errno("chown"));
    }

    std::string const& root() const { return m_root; }

private:
    std::string m_root;
};

void write_aliases(Writer& w)
{
    const char* alias = mta::conf::kUserAlias;
    w.make_directory("alias/Maildir", alias, 0700);
    for (const char* sub : { "alias/Maildir/cur", "alias/Maildir/new", "alias/Maildir/tmp" })
        w.make_directory(sub, alias, 0700);
    for (const char* name : { "postmaster", "root", "mailer-daemon" })
        w.write_if_missing(std::string("alias/.qmail-") + name, "./Maildir/\n", 0644, alias);
}

void write_tls(Writer& w, std::string const& hostname)
{
    std::string cert = w.root() + "/control/tls/cert.pem";
    std::string key = w.root() + "/control/tls/key.pem";
    bool has_cert = ::access(cert.c_str(), F_OK) == 0;
    bool has_key = ::access(key.c_str(), F_OK) == 0;
    if (has_cert || has_key) {
        std::printf("kept control/tls/cert.pem and key.pem (exist)\n");
        if (!has_cert || !has_key)
            mta::log::warn("control/tls holds only one of cert.pem and key.pem; "
                           "mailctl check reports it");
        return;
    }
    if (auto st = make_self_signed(hostname, cert, key); !st)
        mta::log::fatal(mta::kExitTemp, "unable to make a self-signed certificate", st.error());
    w.set_owner(key, mta::conf::kUserDaemon, 0400);
    w.set_owner(cert, "root", 0644);
    std::printf("wrote control/tls/cert.pem and key.pem (self-signed for %s)\n", hostname.c_str());
}

std::string services_text(std::vector<Listen> const& listens)
{
    std::string out = "# SERVICE=ADDR:PORT, one per line (mailctl init --help)\n";
    for (auto const& l : listens)
        out += l.to_string() + "\n";
    return out;
}

} // namespace

int run_init(std::string const& root, Args const& args)
{
    if (wants_help(args))
        return print_help("init");
    InitOptions options = parse_init_args(args);
    ::umask(022);
    Writer w(root);
    std::string hostname = options.hostname;
    if (hostname.empty()) {
        auto me = mta::read_file(root + "/control/me", 4096);
        hostname = me ? std::string(*me).substr(0, me->find('\n')) : host_fqdn();
    }
    if (!w.write_if_missing("control/me", hostname + "\n", 0644, "root")
        && !options.hostname.empty())
        mta::log::warn("control/me exists and was kept; edit it to change the host name");
    w.write_if_missing("control/locals", hostname + "\nlocalhost\n", 0644, "root");
    w.write_if_missing("control/rcpthosts", hostname + "\nlocalhost\n", 0644, "root");
    if (!w.write_if_missing("control/services", services_text(options.listens), 0644, "root")
        && options.listen_given)
        mta::log::warn("control/services exists and was kept; edit it to change the services");
    write_aliases(w);
    write_tls(w, hostname);
    write_service_dirs(root);
    std::printf("configured %s for %s\n", root.c_str(), hostname.c_str());
    return mta::kExitOk;
}

} // namespace admin
