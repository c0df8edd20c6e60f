#include "virtual_store.hpp"

#include "assign.hpp"
#include "auto_conf.hpp"
#include "cdb.hpp"
#include "cdb_tables.hpp"
#include "domain.hpp"
#include "fd.hpp"
#include "passwd.hpp"
#include "privs.hpp"
#include "queue_paths.hpp"

#include <algorithm>
#include <csignal>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace admin {

namespace {

constexpr size_t kMaxFileBytes = size_t { 256 } << 20;

std::string prefix_of(std::string const& domain)
{
    return std::string(mta::conf::kUserVmail) + "-" + domain;
}

// ".qmail-" + the name with '.' written ':' (local's file name for an address).
std::string alias_file(std::string const& local)
{
    std::string safe = local;
    std::replace(safe.begin(), safe.end(), '.', ':');
    return ".qmail-" + safe;
}

mta::Result<std::string> read_or_empty(std::string const& path)
{
    auto text = mta::read_file(path, kMaxFileBytes);
    if (!text && text.error().errnum == ENOENT)
        return std::string();
    return text;
}

Problem failed(std::string const& what, mta::Error const& e)
{
    return Problem { what + ": " + e.text() };
}

Outcome<std::vector<mta::passwd::Entry>> load_passwd(std::string const& path)
{
    auto text = read_or_empty(path);
    if (!text)
        return failed("unable to read users/passwd", text.error());
    size_t bad = 0;
    auto entries = mta::passwd::parse(*text, &bad);
    if (!entries)
        return Problem { "users/passwd line " + std::to_string(bad) + " is malformed" };
    return std::move(*entries);
}

void count_maildir(std::string const& dir, UserInfo& info)
{
    for (const char* sub : { "/new", "/cur" }) {
        auto names = mta::list_directory(dir + sub);
        if (!names)
            continue;
        for (auto const& name : *names) {
            struct stat st;
            if (name[0] == '.' || ::stat((dir + sub + "/" + name).c_str(), &st) == -1
                || !S_ISREG(st.st_mode))
                continue;
            ++info.messages;
            info.bytes += static_cast<unsigned long long>(st.st_size);
        }
    }
}

// SIGHUP to a running send, so it rereads virtualdomains (see control/flush.cpp for how
// send is found). Nothing to do when send is not running.
void tell_send(std::string const& root)
{
    std::string const path = root + "/queue/" + std::string(mta::kSendMutexPath);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd == -1)
        return;
    mta::Fd mutex(fd);
    if (::flock(fd, LOCK_SH | LOCK_NB) == 0 || errno != EWOULDBLOCK)
        return;
    auto text = mta::read_file(path, 64);
    if (!text)
        return;
    auto n = mta::parse_message_number(text->substr(0, text->find('\n')));
    if (!n || *n < 2 || *n >= 1u << 22)
        return;
    auto comm = mta::read_file("/proc/" + std::to_string(*n) + "/comm", 64);
    if (comm && *comm == "send\n")
        (void)::kill(static_cast<pid_t>(*n), SIGHUP);
}

} // namespace

mta::Status check_local_part(std::string& name)
{
    for (char& c : name)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    if (name.empty() || name.size() > 64)
        return mta::Error::plain("a name has 1 to 64 characters");
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return mta::Error::plain("a name holds only letters, digits, '.', '_' and '-'");
    if (name[0] == '.' || name[0] == '-' || name.find("..") != std::string::npos)
        return mta::Error::plain("a name must not start with '.' or '-' nor hold \"..\"");
    if (name == "default" || (name.size() > 8 && name.ends_with("-default")))
        return mta::Error::plain("\"default\" is reserved (.qmail-default)");
    return {};
}

mta::Status check_virtual_domain(std::string& domain)
{
    domain = mta::lowercase_domain(domain);
    if (domain.empty() || domain[0] == '[')
        return mta::Error::plain("a domain name is needed");
    if (auto st = mta::check_domain(domain); !st)
        return st.error();
    if (domain.find('.') == std::string::npos)
        return mta::Error::plain("a domain name has at least one dot");
    return {};
}

std::optional<Catchall> parse_catchall(std::vector<std::string> const& words)
{
    if (words.size() == 1 && words[0] == "bounce")
        return Catchall { Catchall::Kind::bounce, "" };
    if (words.size() == 1 && words[0] == "discard")
        return Catchall { Catchall::Kind::discard, "" };
    if (words.size() == 2 && words[0] == "deliver") {
        std::string user = words[1];
        if (!check_local_part(user))
            return std::nullopt;
        return Catchall { Catchall::Kind::deliver, user };
    }
    return std::nullopt;
}

std::string catchall_text(Catchall const& c)
{
    switch (c.kind) {
    case Catchall::Kind::bounce:
        return "bounce";
    case Catchall::Kind::discard:
        return "discard";
    case Catchall::Kind::deliver:
        return "deliver " + c.account;
    }
    return "bounce";
}

VirtualStore::VirtualStore(std::string root)
    : m_root(std::move(root))
    , m_uid(::getuid())
    , m_gid(::getgid())
{
    if (::geteuid() == 0)
        if (auto account = mta::lookup_account(mta::conf::kUserVmail)) {
            m_uid = account->uid;
            m_gid = account->gid;
        }
}

Step VirtualStore::lock()
{
    std::string const dir = m_root + "/users";
    m_lock = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (m_lock == -1)
        return failed("unable to open " + dir, mta::Error::from_errno("open"));
    if (::flock(m_lock, LOCK_EX) == -1)
        return failed("unable to lock " + dir, mta::Error::from_errno("flock"));
    return {};
}

std::string VirtualStore::domain_dir(std::string const& domain) const
{
    return m_root + "/domains/" + domain;
}

std::string VirtualStore::user_dir(std::string const& local, std::string const& domain) const
{
    return domain_dir(domain) + "/" + local;
}

Outcome<std::vector<std::string>> VirtualStore::domains() const
{
    auto text = read_or_empty(m_root + "/control/virtualdomains");
    if (!text)
        return failed("unable to read control/virtualdomains", text.error());
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos < text->size()) {
        size_t nl = text->find('\n', pos);
        std::string line = text->substr(pos, nl == std::string::npos ? nl : nl - pos);
        pos = nl == std::string::npos ? text->size() : nl + 1;
        size_t colon = line.find(':');
        if (colon == std::string::npos || colon == 0)
            continue;
        std::string domain = line.substr(0, colon);
        if (line.substr(colon + 1) == prefix_of(domain))
            out.push_back(domain);
    }
    std::sort(out.begin(), out.end());
    return out;
}

bool VirtualStore::has_domain(std::string const& domain) const
{
    auto list = domains();
    return list && std::find(list->begin(), list->end(), domain) != list->end();
}

Step VirtualStore::edit_lines(std::string const& rel, std::string const& line, bool add) const
{
    std::string const path = m_root + "/" + rel;
    auto text = read_or_empty(path);
    if (!text)
        return failed("unable to read " + rel, text.error());
    std::string out;
    bool found = false;
    size_t pos = 0;
    while (pos < text->size()) {
        size_t nl = text->find('\n', pos);
        std::string const l = text->substr(pos, nl == std::string::npos ? nl : nl - pos);
        pos = nl == std::string::npos ? text->size() : nl + 1;
        if (mta::assign::lowercase(l) == line) {
            found = true;
            if (!add)
                continue;
        }
        out += l + "\n";
    }
    if (add == found)
        return {};
    if (add)
        out += line + "\n";
    if (auto st = mta::write_file_atomic(path, out, 0644); !st)
        return failed("unable to write " + rel, st.error());
    return {};
}

Step VirtualStore::edit_assign(std::string const& domain, bool add) const
{
    std::string const line = "+" + prefix_of(domain) + "-:" + mta::conf::kUserVmail + ":"
        + std::to_string(m_uid) + ":" + std::to_string(m_gid) + ":" + domain_dir(domain) + ":-::";
    std::string const path = m_root + "/users/assign";
    auto text = read_or_empty(path);
    if (!text)
        return failed("unable to read users/assign", text.error());
    std::string out;
    std::string const key = "+" + prefix_of(domain) + "-:";
    size_t pos = 0;
    while (pos < text->size()) {
        size_t nl = text->find('\n', pos);
        std::string const l = text->substr(pos, nl == std::string::npos ? nl : nl - pos);
        pos = nl == std::string::npos ? text->size() : nl + 1;
        if (l == "." || l.empty() || l.rfind(key, 0) == 0)
            continue;
        out += l + "\n";
    }
    if (add)
        out += line + "\n";
    out += ".\n";
    auto parsed = mta::assign::parse(out);
    if (!parsed.ok())
        return Problem { "users/assign line " + std::to_string(parsed.line) + ": " + parsed.problem
            + " (fix it, then run the command again)" };
    if (auto st = mta::write_file_atomic(path, out, 0644); !st)
        return failed("unable to write users/assign", st.error());
    return {};
}

Step VirtualStore::make_owned_dir(std::string const& path) const
{
    if (::mkdir(path.c_str(), 0700) == -1 && errno != EEXIST)
        return failed("unable to create " + path, mta::Error::from_errno("mkdir"));
    if (::chown(path.c_str(), m_uid, m_gid) == -1 || ::chmod(path.c_str(), 0700) == -1)
        return failed("unable to set the owner of " + path, mta::Error::from_errno("chown"));
    return {};
}

Step VirtualStore::write_owned_file(std::string const& path, std::string const& text) const
{
    if (auto st = mta::write_file_atomic(path, text, 0600); !st)
        return failed("unable to write " + path, st.error());
    if (::chown(path.c_str(), m_uid, m_gid) == -1)
        return failed("unable to set the owner of " + path, mta::Error::from_errno("chown"));
    return {};
}

Step VirtualStore::add_domain(std::string const& domain)
{
    if (auto st = make_owned_dir(domain_dir(domain)); !st)
        return st;
    if (auto st = set_catchall(domain, Catchall {}); !st)
        return st;
    if (auto st = edit_assign(domain, true); !st)
        return st;
    if (auto st = edit_lines("control/virtualdomains", domain + ":" + prefix_of(domain), true); !st)
        return st;
    if (auto st = edit_lines("control/rcpthosts", domain, true); !st)
        return st;
    if (!has_user("postmaster", domain))
        return add_user("postmaster", domain, "!");
    return {};
}

Step VirtualStore::remove_domain(std::string const& domain)
{
    auto entries = load_passwd(m_root + "/users/passwd");
    if (!entries)
        return Problem { entries.problem() };
    std::string const suffix = "@" + domain;
    std::erase_if(*entries, [&](auto const& e) { return e.address.ends_with(suffix); });
    std::string const path = m_root + "/users/passwd";
    if (auto st = mta::write_file_atomic(path, mta::passwd::format(*entries), 0400); !st)
        return failed("unable to write users/passwd", st.error());
    if (::geteuid() == 0)
        if (auto msp = mta::lookup_account(mta::conf::kUserPasswd))
            (void)::chown(path.c_str(), msp->uid, 0);
    if (auto st = edit_lines("control/rcpthosts", domain, false); !st)
        return st;
    if (auto st = edit_lines("control/virtualdomains", domain + ":" + prefix_of(domain), false);
        !st)
        return st;
    if (auto st = edit_assign(domain, false); !st)
        return st;
    std::error_code ec;
    std::filesystem::remove_all(domain_dir(domain), ec);
    if (ec)
        return Problem { "unable to remove " + domain_dir(domain) + ": " + ec.message() };
    return {};
}

Outcome<Catchall> VirtualStore::catchall(std::string const& domain) const
{
    auto text = mta::read_file(domain_dir(domain) + "/.qmail-default", 4096);
    if (!text)
        return failed("unable to read domains/" + domain + "/.qmail-default", text.error());
    std::string const head = "|" + m_root + "/bin/vdeliver ";
    std::string line = text->substr(0, text->find('\n'));
    if (line.rfind(head, 0) != 0)
        return Problem { "domains/" + domain + "/.qmail-default was changed by hand" };
    std::vector<std::string> words;
    std::string rest = line.substr(head.size());
    for (size_t pos = 0; pos < rest.size();) {
        size_t sp = rest.find(' ', pos);
        words.push_back(rest.substr(pos, sp == std::string::npos ? sp : sp - pos));
        pos = sp == std::string::npos ? rest.size() : sp + 1;
    }
    auto c = parse_catchall(words);
    if (!c)
        return Problem { "domains/" + domain + "/.qmail-default was changed by hand" };
    return *c;
}

Step VirtualStore::set_catchall(std::string const& domain, Catchall const& c)
{
    return write_owned_file(domain_dir(domain) + "/.qmail-default",
        "|" + m_root + "/bin/vdeliver " + catchall_text(c) + "\n");
}

Outcome<std::vector<std::string>> VirtualStore::users(std::string const& domain) const
{
    auto entries = load_passwd(m_root + "/users/passwd");
    if (!entries)
        return Problem { entries.problem() };
    std::vector<std::string> out;
    std::string const suffix = "@" + domain;
    for (auto const& e : *entries)
        if (e.address.ends_with(suffix))
            out.push_back(e.address.substr(0, e.address.size() - suffix.size()));
    std::sort(out.begin(), out.end());
    return out;
}

bool VirtualStore::has_user(std::string const& local, std::string const& domain) const
{
    auto list = users(domain);
    return list && std::find(list->begin(), list->end(), local) != list->end();
}

Step VirtualStore::add_user(
    std::string const& local, std::string const& domain, std::string const& hash)
{
    std::string const dir = user_dir(local, domain);
    for (std::string const& d :
        { dir, dir + "/Maildir", dir + "/Maildir/tmp", dir + "/Maildir/new", dir + "/Maildir/cur" })
        if (auto st = make_owned_dir(d); !st)
            return st;
    return set_hash(local + "@" + domain, hash);
}

Step VirtualStore::set_hash(std::string const& address, std::string const& hash)
{
    std::string const path = m_root + "/users/passwd";
    auto entries = load_passwd(path);
    if (!entries)
        return Problem { entries.problem() };
    bool found = false;
    for (auto& e : *entries)
        if (e.address == address) {
            e.hash = hash;
            found = true;
        }
    if (!found)
        entries->push_back({ address, hash, "" });
    if (auto st = mta::write_file_atomic(path, mta::passwd::format(*entries), 0400); !st)
        return failed("unable to write users/passwd", st.error());
    if (::geteuid() == 0) {
        auto msp = mta::lookup_account(mta::conf::kUserPasswd);
        if (!msp)
            return failed("no account " + std::string(mta::conf::kUserPasswd), msp.error());
        if (::chown(path.c_str(), msp->uid, 0) == -1)
            return failed(
                "unable to set the owner of users/passwd", mta::Error::from_errno("chown"));
    }
    return {};
}

Step VirtualStore::remove_user(std::string const& local, std::string const& domain)
{
    std::string const path = m_root + "/users/passwd";
    auto entries = load_passwd(path);
    if (!entries)
        return Problem { entries.problem() };
    std::string const address = local + "@" + domain;
    std::erase_if(*entries, [&](auto const& e) { return e.address == address; });
    if (auto st = mta::write_file_atomic(path, mta::passwd::format(*entries), 0400); !st)
        return failed("unable to write users/passwd", st.error());
    if (::geteuid() == 0)
        if (auto msp = mta::lookup_account(mta::conf::kUserPasswd))
            (void)::chown(path.c_str(), msp->uid, 0);
    std::error_code ec;
    std::filesystem::remove_all(user_dir(local, domain), ec);
    if (ec)
        return Problem { "unable to remove " + user_dir(local, domain) + ": " + ec.message() };
    return {};
}

Outcome<UserInfo> VirtualStore::user_info(std::string const& local, std::string const& domain) const
{
    auto entries = load_passwd(m_root + "/users/passwd");
    if (!entries)
        return Problem { entries.problem() };
    UserInfo info;
    info.address = local + "@" + domain;
    auto const* e = mta::passwd::find(*entries, info.address);
    if (!e)
        return Problem { "no user " + info.address };
    info.has_password = !e->hash.empty() && e->hash[0] == '$';
    info.maildir = user_dir(local, domain) + "/Maildir/";
    count_maildir(info.maildir, info);
    return info;
}

Outcome<std::vector<std::pair<std::string, std::vector<std::string>>>> VirtualStore::aliases(
    std::string const& domain) const
{
    auto names = mta::list_directory(domain_dir(domain));
    if (!names)
        return failed("unable to list " + domain_dir(domain), names.error());
    std::vector<std::pair<std::string, std::vector<std::string>>> out;
    for (auto const& name : *names) {
        if (name.rfind(".qmail-", 0) != 0 || name == ".qmail-default")
            continue;
        std::string local = name.substr(7);
        std::replace(local.begin(), local.end(), ':', '.');
        auto text = mta::read_file(domain_dir(domain) + "/" + name, 1 << 20);
        if (!text)
            return failed("unable to read " + name, text.error());
        std::vector<std::string> targets;
        size_t pos = 0;
        while (pos < text->size()) {
            size_t nl = text->find('\n', pos);
            std::string l = text->substr(pos, nl == std::string::npos ? nl : nl - pos);
            pos = nl == std::string::npos ? text->size() : nl + 1;
            if (!l.empty() && l[0] == '&')
                targets.push_back(l.substr(1));
            else if (!l.empty() && l[0] != '#')
                targets.push_back(l);
        }
        out.emplace_back(local, targets);
    }
    return out;
}

bool VirtualStore::has_alias(std::string const& local, std::string const& domain) const
{
    return ::access((domain_dir(domain) + "/" + alias_file(local)).c_str(), F_OK) == 0;
}

Step VirtualStore::set_alias(
    std::string const& local, std::string const& domain, std::vector<std::string> const& targets)
{
    std::string text;
    for (auto const& t : targets)
        text += "&" + t + "\n";
    return write_owned_file(domain_dir(domain) + "/" + alias_file(local), text);
}

Step VirtualStore::remove_alias(std::string const& local, std::string const& domain)
{
    std::string const path = domain_dir(domain) + "/" + alias_file(local);
    if (::unlink(path.c_str()) == -1)
        return failed("unable to remove " + path, mta::Error::from_errno("unlink"));
    return {};
}

Outcome<std::vector<std::pair<std::string, std::string>>> VirtualStore::recipient_records() const
{
    auto list = domains();
    if (!list)
        return Problem { list.problem() };
    std::vector<std::pair<std::string, std::string>> out;
    for (auto const& domain : *list) {
        auto c = catchall(domain);
        bool const catches = c && c->kind != Catchall::Kind::bounce;
        out.emplace_back("@" + domain, catches ? "catchall" : "domain");
        auto names = users(domain);
        if (!names)
            return Problem { names.problem() };
        for (auto const& user : *names) {
            out.emplace_back(user + "@" + domain, "user");
            auto files = mta::list_directory(user_dir(user, domain));
            for (auto const& f : files ? *files : std::vector<std::string> {}) {
                if (f.rfind(".qmail-", 0) != 0 || f.size() == 7)
                    continue;
                std::string ext = f.substr(7);
                std::replace(ext.begin(), ext.end(), ':', '.');
                if (ext == "default")
                    ext.clear();
                else if (ext.ends_with("-default"))
                    ext.resize(ext.size() - 7);
                out.emplace_back(user + "-" + ext + "@" + domain, "extension");
            }
        }
        auto names_a = aliases(domain);
        if (!names_a)
            return Problem { names_a.problem() };
        for (auto const& [alias, targets] : *names_a)
            out.emplace_back(alias + "@" + domain, "alias");
    }
    return out;
}

Outcome<size_t> VirtualStore::write_recipients() const
{
    auto records = recipient_records();
    if (!records)
        return Problem { records.problem() };
    auto writer = mta::CdbWriter::create(m_root + "/users/recipients.cdb", 0644);
    if (!writer)
        return failed("unable to write users/recipients.cdb", writer.error());
    for (auto const& [key, kind] : *records)
        if (auto st = writer->add(key, kind); !st)
            return failed("unable to write users/recipients.cdb", st.error());
    if (auto st = writer->commit(); !st)
        return failed("unable to write users/recipients.cdb", st.error());
    return records->size();
}

void VirtualStore::notify_send() const
{
    tell_send(m_root);
}

Step VirtualStore::rebuild()
{
    auto users_cdb = rebuild_users_cdb(m_root);
    if (users_cdb.state == TableOutcome::State::bad_source
        || users_cdb.state == TableOutcome::State::failed)
        return Problem { users_cdb.text };
    if (auto written = write_recipients(); !written)
        return Problem { written.problem() };
    tell_send(m_root);
    return {};
}

} // namespace admin
