#include "layout.hpp"

#include "auto_conf.hpp"
#include "fd.hpp"
#include "privs.hpp"

#include <cstdio>
#include <fcntl.h>
#include <linux/fs.h>
#include <string_view>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace admin {

namespace conf = mta::conf;

namespace {

Entry directory(std::string path, std::string owner, std::string group, mode_t mode)
{
    return Entry { Kind::Directory, std::move(path), std::move(owner), std::move(group), mode };
}

Entry spread_directory(std::string path, std::string owner, std::string group, mode_t mode)
{
    Entry e = directory(std::move(path), std::move(owner), std::move(group), mode);
    e.spread = true;
    return e;
}

// A queue directory hashed into subdirectories 0..split-1, like qmail's mess/N%23/N.
void add_split(
    std::vector<Entry>& out, std::string const& path, std::string const& owner, mode_t mode)
{
    out.push_back(spread_directory(path, owner, conf::kGroupMail, mode));
    for (int i = 0; i < conf::kSplit; ++i)
        out.push_back(directory(path + "/" + std::to_string(i), owner, conf::kGroupMail, mode));
}

void add_queue(std::vector<Entry>& out)
{
    std::string const q = conf::kUserQueue;
    std::string const s = conf::kUserSend;
    std::string const g = conf::kGroupMail;
    out.push_back(spread_directory("queue", q, g, 0750));
    out.push_back(directory("queue/pid", q, g, 0700));
    add_split(out, "queue/mess", q, 0750);
    add_split(out, "queue/intd", q, 0700);
    add_split(out, "queue/todo", q, 0750);
    add_split(out, "queue/info", s, 0700);
    add_split(out, "queue/local", s, 0700);
    add_split(out, "queue/remote", s, 0700);
    out.push_back(directory("queue/bounce", s, g, 0700));
    out.push_back(directory("queue/lock", q, g, 0750));
    out.push_back(Entry { Kind::File, "queue/lock/sendmutex", s, g, 0600 });
    out.push_back(Entry { Kind::Fifo, "queue/lock/trigger", s, g, 0622 });
    out.push_back(Entry { Kind::File, "queue/lock/tcpto", conf::kUserRemote, g, 0644, 1024 });
}

} // namespace

std::vector<Entry> tree_layout()
{
    std::vector<Entry> out;
    out.push_back(directory(".", "root", "root", 0755));
    out.push_back(directory("bin", "root", "root", 0755));
    out.push_back(directory("control", "root", "root", 0755));
    out.push_back(directory("control/tls", "root", "root", 0755));
    out.push_back(directory("users", "root", "root", 0755));
    out.push_back(Entry { Kind::File, "users/passwd", conf::kUserPasswd, "root", 0400 });
    out.push_back(directory("alias", conf::kUserAlias, conf::kGroupMail, 02755));
    out.push_back(directory("domains", conf::kUserVmail, conf::kGroupNofiles, 0750));
    out.push_back(directory("service", "root", "root", 0755));
    out.push_back(directory("log", "root", "root", 0755));
    // One log directory per supervised service, written by multilog as the log account.
    for (const char* name :
        { "send", "smtp", "submission", "smtps", "pop3", "pop3s", "imap", "imaps" })
        out.push_back(
            directory(std::string("log/") + name, conf::kUserLog, conf::kGroupNofiles, 0750));
    out.push_back(directory("doc", "root", "root", 0755));
    out.push_back(directory("man", "root", "root", 0755));
    add_queue(out);
    return out;
}

namespace {

// Other names of sendmail, as sendmail installations have them.
constexpr const char* kSendmailLinks[] = { "mailq", "newaliases" };

bool is_sendmail_link(std::string const& name)
{
    for (const char* link : kSendmailLinks)
        if (name == link)
            return true;
    return false;
}

} // namespace

std::vector<Entry> program_layout(std::vector<std::string> const& programs)
{
    std::vector<Entry> out;
    for (auto const& name : programs) {
        if (is_sendmail_link(name))
            continue;
        Entry entry { Kind::Program, "bin/" + name, "root", "root", 0755 };
        if (name == "queue")
            entry = Entry { Kind::Program, "bin/queue", conf::kUserQueue, conf::kGroupMail, 04711 };
        if (name == "auth") // reads users/passwd; nothing else runs as msp
            entry = Entry { Kind::Program, "bin/auth", conf::kUserPasswd, "root", 04711 };
        out.push_back(entry);
        if (name == "sendmail")
            for (const char* link : kSendmailLinks)
                out.push_back(Entry {
                    Kind::Link, std::string("bin/") + link, "root", "root", 0777, 0, name });
    }
    return out;
}

mta::Result<uid_t> Ids::uid(std::string const& name)
{
    if (auto it = m_uids.find(name); it != m_uids.end())
        return it->second;
    auto account = mta::lookup_account(name);
    if (!account)
        return account.error();
    m_uids[name] = account->uid;
    return account->uid;
}

mta::Result<gid_t> Ids::gid(std::string const& name)
{
    if (auto it = m_gids.find(name); it != m_gids.end())
        return it->second;
    auto gid = mta::lookup_group(name);
    if (!gid)
        return gid.error();
    m_gids[name] = *gid;
    return *gid;
}

std::string mode_text(mode_t mode)
{
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

namespace {

mta::Status create_file(std::string const& path, Entry const& entry)
{
    auto fd = mta::open_excl(path, 0600);
    if (!fd)
        return fd.error();
    if (entry.zero_bytes > 0) {
        std::string zeros(entry.zero_bytes, '\0');
        if (auto st = mta::write_all(fd->get(), zeros); !st)
            return st;
    }
    return fd->close();
}

mta::Status copy_program(std::string const& from, std::string const& to)
{
    auto data = mta::read_file(from, size_t(1) << 30);
    if (!data)
        return data.error();
    std::string tmp = to + ".new";
    ::unlink(tmp.c_str());
    auto fd = mta::open_excl(tmp, 0700);
    if (!fd)
        return fd.error();
    if (auto st = mta::write_all(fd->get(), *data); !st)
        return st;
    if (auto st = fd->close(); !st)
        return st;
    if (::rename(tmp.c_str(), to.c_str()) == -1)
        return mta::Error::from_errno("unable to rename program into place");
    return {};
}

std::optional<std::string> link_target(std::string const& path)
{
    char buf[4096];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    if (n < 0 || size_t(n) >= sizeof buf)
        return std::nullopt;
    return std::string(buf, size_t(n));
}

// Makes path a symbolic link to target, replacing whatever is there in one rename.
mta::Status place_link(std::string const& path, std::string const& target)
{
    if (link_target(path) == target)
        return {};
    std::string tmp = path + ".new";
    ::unlink(tmp.c_str());
    if (::symlink(target.c_str(), tmp.c_str()) == -1)
        return mta::Error::from_errno("unable to create symbolic link");
    if (::rename(tmp.c_str(), path.c_str()) == -1)
        return mta::Error::from_errno("unable to rename symbolic link into place");
    return {};
}

// Sets FS_TOPDIR_FL on the directory, so that ext2/3/4 place the directories made in it
// in other block groups (Orlov allocator). Best effort: other file systems refuse it
// (ENOTTY, EOPNOTSUPP) and lose nothing.
void spread_subdirectories(std::string const& path)
{
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd == -1)
        return;
    int flags = 0; // the kernel reads and writes an int, whatever the macro says
    if (::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && !(flags & FS_TOPDIR_FL)) {
        flags |= FS_TOPDIR_FL;
        (void)::ioctl(fd, FS_IOC_SETFLAGS, &flags);
    }
    ::close(fd);
}

mta::Status create_missing(
    std::string const& path, Entry const& entry, std::string const& source_dir)
{
    struct stat st;
    bool exists = ::lstat(path.c_str(), &st) == 0;
    switch (entry.kind) {
    case Kind::Directory:
        if (!exists && ::mkdir(path.c_str(), 0700) == -1)
            return mta::Error::from_errno("unable to create directory");
        if (entry.spread)
            spread_subdirectories(path);
        return {};
    case Kind::File:
        return exists ? mta::Status() : create_file(path, entry);
    case Kind::Fifo:
        if (!exists && ::mkfifo(path.c_str(), 0600) == -1)
            return mta::Error::from_errno("unable to create fifo");
        return {};
    case Kind::Program:
        return copy_program(source_dir + "/" + path.substr(path.rfind('/') + 1), path);
    case Kind::Link:
        return place_link(path, entry.target);
    }
    return {};
}

} // namespace

mta::Status apply_entry(
    std::string const& root, Entry const& entry, Ids& ids, std::string const& source_dir)
{
    std::string path = root + "/" + entry.path;
    if (auto st = create_missing(path, entry, source_dir); !st)
        return st;
    if (::geteuid() == 0) {
        auto uid = ids.uid(entry.owner);
        if (!uid)
            return uid.error();
        auto gid = ids.gid(entry.group);
        if (!gid)
            return gid.error();
        if (::lchown(path.c_str(), *uid, *gid) == -1)
            return mta::Error::from_errno("unable to change owner");
    }
    // chmod after chown: chown clears the setuid bit. chmod would follow a link.
    if (entry.kind != Kind::Link && ::chmod(path.c_str(), entry.mode) == -1)
        return mta::Error::from_errno("unable to change mode");
    return {};
}

namespace {

bool kind_matches(Kind kind, mode_t mode)
{
    switch (kind) {
    case Kind::Directory:
        return S_ISDIR(mode);
    case Kind::Fifo:
        return S_ISFIFO(mode);
    case Kind::File:
    case Kind::Program:
        return S_ISREG(mode);
    case Kind::Link:
        return S_ISLNK(mode);
    }
    return false;
}

const char* kind_name(Kind kind)
{
    switch (kind) {
    case Kind::Directory:
        return "a directory";
    case Kind::Fifo:
        return "a fifo";
    case Kind::File:
    case Kind::Program:
        return "a regular file";
    case Kind::Link:
        return "a symbolic link";
    }
    return "?";
}

std::string owner_problem(Entry const& entry, struct stat const& st, Ids& ids)
{
    auto uid = ids.uid(entry.owner);
    if (!uid)
        return "account " + entry.owner + " is missing (run make install as root)";
    auto gid = ids.gid(entry.group);
    if (!gid)
        return "group " + entry.group + " is missing (run make install as root)";
    if (st.st_uid != *uid)
        return "owner uid " + std::to_string(st.st_uid) + ", want " + entry.owner;
    if (st.st_gid != *gid)
        return "group gid " + std::to_string(st.st_gid) + ", want " + entry.group;
    return "";
}

} // namespace

std::vector<std::string> check_entry(
    std::string const& root, Entry const& entry, Ids& ids, bool check_owners)
{
    std::string const name = entry.path == "." ? std::string("ROOT") : entry.path;
    std::string path = root + "/" + entry.path;
    struct stat st;
    if (::lstat(path.c_str(), &st) == -1)
        return { name + ": missing (" + mta::Error::from_errno("stat").text() + ")" };
    if (!kind_matches(entry.kind, st.st_mode))
        return { name + ": not " + kind_name(entry.kind) };
    std::vector<std::string> problems;
    if (entry.kind == Kind::Link) {
        auto target = link_target(path);
        if (target != entry.target)
            problems.push_back(
                name + ": points to " + target.value_or("?") + ", want " + entry.target);
    }
    if (auto p = check_owners ? owner_problem(entry, st, ids) : ""; !p.empty())
        problems.push_back(name + ": " + p);
    if (entry.kind != Kind::Link && (st.st_mode & 07777) != entry.mode)
        problems.push_back(
            name + ": mode " + mode_text(st.st_mode) + ", want " + mode_text(entry.mode));
    return problems;
}

} // namespace admin
