// mailctl domain, user and alias: virtual domains, their users and aliases
// (docs/accounts.md; the files are described in virtual_store.hpp).
#include "commands.hpp"

#include "control.hpp"
#include "domain.hpp"
#include "exit_codes.hpp"
#include "fd.hpp"
#include "log.hpp"
#include "passwd.hpp"
#include "virtual_store.hpp"

#include <cstdio>
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

namespace admin {

namespace {

[[noreturn]] void die_usage(const char* usage)
{
    mta::log::fatal(mta::kExitPerm, std::string("usage: ") + usage);
}

[[noreturn]] void die_temp(mta::Error const& e)
{
    mta::log::fatal(mta::kExitTemp, e.text());
}

[[noreturn]] void die_perm(std::string const& text)
{
    mta::log::fatal(mta::kExitPerm, text);
}

[[noreturn]] void die_problem(std::string const& text)
{
    mta::log::fatal(mta::kExitTemp, text);
}

void must(Step const& st)
{
    if (!st)
        die_problem(st.problem());
}

// "local@domain" checked and lowercased.
std::pair<std::string, std::string> split_address(std::string const& address)
{
    auto at = address.rfind('@');
    if (at == std::string::npos)
        die_perm("not an address (local@domain): " + address);
    std::string local = address.substr(0, at);
    std::string domain = address.substr(at + 1);
    if (auto st = check_local_part(local); !st)
        die_perm("bad name " + address.substr(0, at) + ": " + st.error().what);
    if (auto st = check_virtual_domain(domain); !st)
        die_perm("bad domain " + address.substr(at + 1) + ": " + st.error().what);
    return { local, domain };
}

std::string domain_arg(std::string domain)
{
    std::string const given = domain;
    if (auto st = check_virtual_domain(domain); !st)
        die_perm("bad domain " + given + ": " + st.error().what);
    return domain;
}

// Options: the flags present (removed from args).
bool take_flag(Args& args, std::string const& flag)
{
    for (auto it = args.begin(); it != args.end(); ++it)
        if (*it == flag) {
            args.erase(it);
            return true;
        }
    return false;
}

VirtualStore open_store(std::string const& root)
{
    VirtualStore store(root);
    must(store.lock());
    return store;
}

std::string read_line_from(int fd)
{
    std::string line;
    char c;
    for (;;) {
        ssize_t n = ::read(fd, &c, 1);
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0 || c == '\n')
            break;
        if (line.size() > mta::passwd::kMaxPasswordBytes)
            die_perm("password longer than 256 bytes");
        line += c;
    }
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    return line;
}

std::string prompt(int tty, const char* text)
{
    (void)mta::write_all(tty, text);
    termios old {};
    bool const restore = ::tcgetattr(tty, &old) == 0;
    if (restore) {
        termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        (void)::tcsetattr(tty, TCSAFLUSH, &quiet);
    }
    std::string out = read_line_from(tty);
    if (restore)
        (void)::tcsetattr(tty, TCSAFLUSH, &old);
    (void)mta::write_all(tty, "\n");
    return out;
}

// The new password, from stdin (one line) or typed twice on /dev/tty; its hash.
std::string new_hash(bool from_stdin)
{
    std::string password;
    if (from_stdin) {
        password = read_line_from(0);
    } else {
        int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (tty == -1)
            die_perm("no terminal to ask for the password: use --password-stdin");
        mta::Fd guard(tty);
        password = prompt(tty, "New password: ");
        if (prompt(tty, "Again: ") != password)
            die_perm("the two passwords differ; nothing changed");
    }
    if (password.empty())
        die_perm("empty password; nothing changed");
    auto hash = mta::passwd::hash_password(password);
    std::fill(password.begin(), password.end(), '\0');
    if (!hash)
        die_temp(hash.error());
    return *hash;
}

void need_domain(VirtualStore const& store, std::string const& domain)
{
    if (!store.has_domain(domain))
        die_perm("no virtual domain " + domain + " (mailctl domain list)");
}

void done(VirtualStore& store, std::string const& text)
{
    must(store.rebuild());
    std::printf("%s\n", text.c_str());
}

int domain_add(std::string const& root, Args& args)
{
    if (args.size() != 1)
        die_usage("mailctl domain add DOMAIN");
    std::string const domain = domain_arg(args[0]);
    VirtualStore store = open_store(root);
    if (store.has_domain(domain))
        die_perm("domain " + domain + " exists already");
    auto locals = mta::control::read_lines(root + "/control/locals");
    if (!locals)
        die_temp(locals.error());
    for (auto const& l : locals->value_or(std::vector<std::string> {}))
        if (mta::lowercase_domain(l) == domain)
            die_perm(domain
                + " is in control/locals (its mail goes to system accounts); "
                  "remove it there first");
    must(store.add_domain(domain));
    done(store,
        "added domain " + domain + " with user postmaster@" + domain
            + " (no password yet: mailctl user passwd)");
    return mta::kExitOk;
}

int domain_del(std::string const& root, Args& args)
{
    bool const force = take_flag(args, "--force");
    if (args.size() != 1)
        die_usage("mailctl domain del DOMAIN [--force]");
    std::string const domain = domain_arg(args[0]);
    VirtualStore store = open_store(root);
    need_domain(store, domain);
    unsigned long messages = 0;
    auto users = store.users(domain);
    if (!users)
        die_problem(users.problem());
    for (auto const& u : *users)
        if (auto info = store.user_info(u, domain))
            messages += info->messages;
    if (messages > 0 && !force)
        die_perm("domain " + domain + " has " + std::to_string(messages)
            + " messages in its mailboxes; add --force to delete them");
    must(store.remove_domain(domain));
    done(store, "deleted domain " + domain);
    return mta::kExitOk;
}

int domain_list(std::string const& root, Args const& args)
{
    if (!args.empty())
        die_usage("mailctl domain list");
    VirtualStore const store(root);
    auto list = store.domains();
    if (!list)
        die_problem(list.problem());
    for (auto const& d : *list) {
        auto c = store.catchall(d);
        auto users = store.users(d);
        std::printf("%s users %zu catchall %s\n", d.c_str(), users ? users->size() : 0,
            c ? catchall_text(*c).c_str() : "?");
    }
    return mta::kExitOk;
}

int domain_catchall(std::string const& root, Args& args)
{
    const char* usage = "mailctl domain catchall DOMAIN bounce|discard|deliver USER";
    if (args.size() < 2)
        die_usage(usage);
    std::string const domain = domain_arg(args[0]);
    auto c = parse_catchall(Args(args.begin() + 1, args.end()));
    if (!c)
        die_usage(usage);
    VirtualStore store = open_store(root);
    need_domain(store, domain);
    if (c->kind == Catchall::Kind::deliver && !store.has_user(c->account, domain))
        die_perm("no user " + c->account + "@" + domain);
    must(store.set_catchall(domain, *c));
    done(store, "catch-all of " + domain + ": " + catchall_text(*c));
    return mta::kExitOk;
}

int user_add(std::string const& root, Args& args)
{
    bool const from_stdin = take_flag(args, "--password-stdin");
    if (args.size() != 1)
        die_usage("mailctl user add USER@DOMAIN [--password-stdin]");
    auto [local, domain] = split_address(args[0]);
    VirtualStore store = open_store(root);
    need_domain(store, domain);
    if (store.has_user(local, domain))
        die_perm("user " + local + "@" + domain + " exists already");
    if (store.has_alias(local, domain))
        die_perm(local + "@" + domain + " is an alias (mailctl alias del first)");
    std::string const hash = new_hash(from_stdin);
    must(store.add_user(local, domain, hash));
    done(store, "added user " + local + "@" + domain);
    return mta::kExitOk;
}

int user_del(std::string const& root, Args& args)
{
    bool const force = take_flag(args, "--force");
    if (args.size() != 1)
        die_usage("mailctl user del USER@DOMAIN [--force]");
    auto [local, domain] = split_address(args[0]);
    VirtualStore store = open_store(root);
    auto info = store.user_info(local, domain);
    if (!info)
        die_perm(info.problem());
    auto c = store.catchall(domain);
    if (c && c->kind == Catchall::Kind::deliver && c->account == local)
        die_perm(info->address + " receives the catch-all of " + domain
            + " (mailctl domain catchall first)");
    if (info->messages > 0 && !force)
        die_perm(info->address + " has " + std::to_string(info->messages)
            + " messages; add --force to delete them");
    must(store.remove_user(local, domain));
    done(store, "deleted user " + info->address);
    return mta::kExitOk;
}

int user_passwd(std::string const& root, Args& args)
{
    bool const from_stdin = take_flag(args, "--password-stdin");
    if (args.size() != 1)
        die_usage("mailctl user passwd USER@DOMAIN [--password-stdin]");
    auto [local, domain] = split_address(args[0]);
    VirtualStore store = open_store(root);
    if (!store.has_user(local, domain))
        die_perm("no user " + local + "@" + domain);
    std::string const hash = new_hash(from_stdin);
    must(store.set_hash(local + "@" + domain, hash));
    done(store, "changed the password of " + local + "@" + domain);
    return mta::kExitOk;
}

// The domains a list command covers: the one named in args, or all.
std::vector<std::string> listed_domains(VirtualStore const& store, Args const& args)
{
    auto domains = store.domains();
    if (!domains)
        die_problem(domains.problem());
    if (args.size() == 1) {
        std::string const domain = domain_arg(args[0]);
        need_domain(store, domain);
        return { domain };
    }
    return std::move(*domains);
}

int user_list(std::string const& root, Args const& args)
{
    if (args.size() > 1)
        die_usage("mailctl user list [DOMAIN]");
    VirtualStore const store(root);
    for (auto const& d : listed_domains(store, args)) {
        auto users = store.users(d);
        if (!users)
            die_problem(users.problem());
        for (auto const& u : *users)
            std::printf("%s@%s\n", u.c_str(), d.c_str());
    }
    return mta::kExitOk;
}

int user_info(std::string const& root, Args const& args)
{
    if (args.size() != 1)
        die_usage("mailctl user info USER@DOMAIN");
    auto [local, domain] = split_address(args[0]);
    VirtualStore const store(root);
    auto info = store.user_info(local, domain);
    if (!info)
        die_perm(info.problem());
    std::printf("address: %s\nmailbox: %s\nmessages: %lu\nsize: %llu bytes\npassword: %s\n",
        info->address.c_str(), info->maildir.c_str(), info->messages, info->bytes,
        info->has_password ? "set" : "none (cannot log in)");
    return mta::kExitOk;
}

int alias_add(std::string const& root, Args const& args)
{
    if (args.size() < 2)
        die_usage("mailctl alias add NAME@DOMAIN TARGET...");
    auto [local, domain] = split_address(args[0]);
    std::vector<std::string> targets(args.begin() + 1, args.end());
    for (auto const& t : targets)
        if (t.find('@') == std::string::npos || t.find_first_of(" \t\n\r") != std::string::npos
            || t[0] == '|' || t[0] == '/' || t[0] == '.' || t[0] == '&' || t[0] == '#')
            die_perm("bad target " + t + ": an alias forwards to addresses (local@domain)");
    VirtualStore store = open_store(root);
    need_domain(store, domain);
    if (store.has_user(local, domain))
        die_perm(local + "@" + domain + " is a user (mailctl user del first)");
    must(store.set_alias(local, domain, targets));
    done(store,
        "alias " + local + "@" + domain + " forwards to " + std::to_string(targets.size())
            + " address" + (targets.size() == 1 ? "" : "es"));
    return mta::kExitOk;
}

int alias_del(std::string const& root, Args const& args)
{
    if (args.size() != 1)
        die_usage("mailctl alias del NAME@DOMAIN");
    auto [local, domain] = split_address(args[0]);
    VirtualStore store = open_store(root);
    if (!store.has_alias(local, domain))
        die_perm("no alias " + local + "@" + domain);
    must(store.remove_alias(local, domain));
    done(store, "deleted alias " + local + "@" + domain);
    return mta::kExitOk;
}

int alias_list(std::string const& root, Args const& args)
{
    if (args.size() > 1)
        die_usage("mailctl alias list [DOMAIN]");
    VirtualStore const store(root);
    for (auto const& d : listed_domains(store, args)) {
        auto aliases = store.aliases(d);
        if (!aliases)
            die_problem(aliases.problem());
        for (auto const& [name, targets] : *aliases) {
            std::string line = name + "@" + d + ":";
            for (auto const& t : targets)
                line += " " + t;
            std::printf("%s\n", line.c_str());
        }
    }
    return mta::kExitOk;
}

struct Sub {
    const char* name;
    int (*run)(std::string const&, Args&);
};

int run_sub(
    const char* command, std::initializer_list<Sub> subs, std::string const& root, Args const& args)
{
    if (wants_help(args) || args.empty())
        return args.empty() ? (print_help(command), mta::kExitPerm) : print_help(command);
    for (auto const& s : subs)
        if (args[0] == s.name) {
            Args rest(args.begin() + 1, args.end());
            int code = s.run(root, rest);
            return std::fflush(stdout) == 0 ? code : mta::kExitTemp;
        }
    die_perm("unknown subcommand " + args[0] + " (mailctl " + command + " --help)");
}

} // namespace

int run_domain(std::string const& root, Args const& args)
{
    return run_sub("domain",
        { { "add", domain_add }, { "del", domain_del },
            { "list", [](std::string const& r, Args& a) { return domain_list(r, a); } },
            { "catchall", domain_catchall } },
        root, args);
}

int run_user(std::string const& root, Args const& args)
{
    return run_sub("user",
        { { "add", user_add }, { "del", user_del }, { "passwd", user_passwd },
            { "list", [](std::string const& r, Args& a) { return user_list(r, a); } },
            { "info", [](std::string const& r, Args& a) { return user_info(r, a); } } },
        root, args);
}

int run_alias(std::string const& root, Args const& args)
{
    return run_sub("alias",
        { { "add", [](std::string const& r, Args& a) { return alias_add(r, a); } },
            { "del", [](std::string const& r, Args& a) { return alias_del(r, a); } },
            { "list", [](std::string const& r, Args& a) { return alias_list(r, a); } } },
        root, args);
}

} // namespace admin
