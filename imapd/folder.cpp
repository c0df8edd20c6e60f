#include "folder.hpp"

#include "fd.hpp"
#include "header.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <unordered_map>

namespace imapd {

namespace {

constexpr size_t kMaxListFile = size_t { 256 } * 1024 * 1024;
constexpr char kUidlist[] = "/imapd.uidlist";
constexpr char kKeywords[] = "/imapd.keywords";

std::string base_of(std::string_view name)
{
    return std::string(name.substr(0, name.find(':')));
}

// The sorted flag letters of a file name ("X:2,SF" -> "FS").
std::string flags_of(std::string_view name)
{
    size_t colon = name.find(':');
    if (colon == std::string_view::npos || name.substr(colon, 3) != ":2,")
        return {};
    std::string out;
    for (char c : name.substr(colon + 3))
        if (((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) && out.find(c) == std::string::npos)
            out += c;
    std::sort(out.begin(), out.end());
    return out;
}

bool parse_u64(std::string_view text, uint64_t& out)
{
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return !text.empty() && ec == std::errc() && ptr == text.data() + text.size();
}

// "SECONDS.MMICROS..." (the modern Maildir unique name) -> (seconds, microseconds), so
// files with the same mtime still get UIDs in delivery order; (0, 0) for other names.
std::pair<uint64_t, uint64_t> name_time(std::string_view name)
{
    uint64_t sec = 0;
    uint64_t usec = 0;
    auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), sec);
    if (ec != std::errc() || name.end() - p < 3 || p[0] != '.' || p[1] != 'M')
        return { sec, 0 };
    std::from_chars(p + 2, name.data() + name.size(), usec);
    return { sec, usec };
}

struct Scanned {
    bool in_new;
    std::string name;
};

mta::Status scan(std::string const& dir, bool in_new, std::unordered_map<std::string, Scanned>& out)
{
    std::string const path = dir + (in_new ? "/new" : "/cur");
    DIR* d = ::opendir(path.c_str());
    if (!d)
        return mta::Error::from_errno("unable to open folder directory");
    while (struct dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.')
            continue;
        std::string name = e->d_name;
        std::string base = base_of(name);
        out.insert_or_assign(std::move(base), Scanned { in_new, std::move(name) });
    }
    ::closedir(d);
    return {};
}

struct timespec mtime_of(std::string const& path, ino_t* ino = nullptr)
{
    struct stat st;
    if (::stat(path.c_str(), &st) == -1)
        return {};
    if (ino)
        *ino = st.st_ino;
    return st.st_mtim;
}

bool same_time(struct timespec a, struct timespec b)
{
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

using TimedFile = std::pair<struct timespec, Scanned>; // a file and its mtime

// Delivery order: mtime, then the time in the name, then the name.
bool delivered_before(TimedFile const& a, TimedFile const& b)
{
    if (a.first.tv_sec != b.first.tv_sec)
        return a.first.tv_sec < b.first.tv_sec;
    if (a.first.tv_nsec != b.first.tv_nsec)
        return a.first.tv_nsec < b.first.tv_nsec;
    auto const ta = name_time(a.second.name);
    auto const tb = name_time(b.second.name);
    if (ta != tb)
        return ta < tb;
    return a.second.name < b.second.name;
}

// Takes the files out of `files` (their names move) and returns them in delivery order.
std::vector<Scanned> in_delivery_order(
    std::string const& dir, std::unordered_map<std::string, Scanned>& files)
{
    std::vector<TimedFile> timed;
    for (auto& [base, s] : files) {
        struct timespec t = mtime_of(dir + (s.in_new ? "/new/" : "/cur/") + s.name);
        timed.emplace_back(t, std::move(s));
    }
    std::sort(timed.begin(), timed.end(), delivered_before);
    std::vector<Scanned> out;
    out.reserve(timed.size());
    for (auto& [t, s] : timed)
        out.push_back(std::move(s));
    return out;
}

} // namespace

struct Folder::Disk {
    std::unordered_map<std::string, Scanned> files; // by base name; cur/ wins over new/
};

class Folder::Lock {
public:
    static mta::Result<Lock> take(std::string const& dir)
    {
        int fd = ::open((dir + "/imapd.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd == -1)
            return mta::Error::from_errno("unable to open imapd.lock");
        Lock lock;
        lock.m_fd = mta::Fd(fd);
        while (::flock(fd, LOCK_EX) == -1) {
            if (errno != EINTR)
                return mta::Error::from_errno("unable to lock imapd.lock");
        }
        return lock;
    }

private:
    mta::Fd m_fd; // closing it releases the lock
};

mta::Result<Folder> Folder::open(std::string const& dir, bool writable)
{
    for (char const* sub : { "/cur", "/new", "/tmp" }) {
        struct stat st;
        if (::stat((dir + sub).c_str(), &st) == -1)
            return mta::Error::from_errno("not a Maildir folder");
    }
    Folder folder;
    folder.m_dir = dir;
    folder.m_writable = writable;
    if (auto st = folder.sync(); !st)
        return st.error();
    return folder;
}

bool Folder::unchanged() const
{
    // Directory times come from a coarse clock: a change in the same tick as the last
    // look would not move them. Times that recent prove nothing, so look again.
    if (m_list_ino == 0 || m_stamps_recent)
        return false;
    ino_t ino = 0;
    struct timespec list = mtime_of(m_dir + kUidlist, &ino);
    return ino == m_list_ino && same_time(list, m_stamps[0])
        && same_time(mtime_of(m_dir + "/new"), m_stamps[1])
        && same_time(mtime_of(m_dir + "/cur"), m_stamps[2]);
}

void Folder::remember_stamps()
{
    m_stamps[0] = mtime_of(m_dir + kUidlist, &m_list_ino);
    m_stamps[1] = mtime_of(m_dir + "/new");
    m_stamps[2] = mtime_of(m_dir + "/cur");
    // File times come from the kernel's coarse clock, at most one tick (<= 10 ms) behind
    // the real one: a stamp older than the look by more than that proves that any later
    // change gets a different time.
    struct timespec now;
    ::clock_gettime(CLOCK_REALTIME, &now);
    int64_t const look_ms = int64_t { now.tv_sec } * 1000 + now.tv_nsec / 1000000;
    m_stamps_recent = false;
    for (auto const& t : m_stamps) {
        int64_t const stamp_ms = int64_t { t.tv_sec } * 1000 + t.tv_nsec / 1000000;
        m_stamps_recent = m_stamps_recent || stamp_ms >= look_ms - 100;
    }
}

mta::Status Folder::sync()
{
    if (unchanged())
        return {};
    auto lock = Lock::take(m_dir);
    if (!lock)
        return lock.error();
    return sync_locked();
}

// The lock, taken, and the list brought up to date under it.
mta::Result<Folder::Lock> Folder::lock_and_sync()
{
    auto lock = Lock::take(m_dir);
    if (!lock)
        return lock.error();
    if (auto st = sync_locked(); !st)
        return st.error();
    return std::move(*lock);
}

mta::Status Folder::read_uidlist(std::vector<Record>& records)
{
    records.clear();
    auto text = mta::read_file(m_dir + kUidlist, kMaxListFile);
    if (!text && text.error().errnum != ENOENT)
        return text.error();
    bool good = text.ok();
    std::string_view rest = good ? std::string_view(*text) : std::string_view();
    uint64_t v[3] = {};
    for (size_t line_no = 0; good && !rest.empty(); ++line_no) {
        size_t nl = rest.find('\n');
        if (nl == std::string_view::npos) {
            good = false;
            break;
        }
        std::string_view line = rest.substr(0, nl);
        rest.remove_prefix(nl + 1);
        std::string_view f[4];
        for (auto& part : f) {
            size_t sp = line.find(' ');
            part = line.substr(0, sp);
            line = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
        }
        if (line_no == 0) {
            good = f[0] == "imapd-uidlist" && f[1] == "1" && parse_u64(f[2], v[0])
                && parse_u64(f[3], v[1]) && parse_u64(line, v[2]) && v[0] > 0 && v[0] <= UINT32_MAX
                && v[1] > 0 && v[1] <= UINT32_MAX;
            continue;
        }
        uint64_t uid = 0;
        uint64_t modseq = 0;
        good = parse_u64(f[0], uid) && parse_u64(f[1], modseq) && uid > 0 && uid < v[1]
            && (records.empty() || uid > records.back().uid) && (f[2] == "new" || f[2] == "cur")
            && !f[3].empty() && line.empty();
        if (good)
            records.push_back(
                { static_cast<uint32_t>(uid), modseq, f[2] == "new", std::string(f[3]) });
    }
    if (!good || !text) {
        // A new list (or a damaged one): a new UIDVALIDITY tells clients to start over.
        records.clear();
        auto now = static_cast<uint32_t>(::time(nullptr));
        m_uidvalidity = now > m_uidvalidity ? now : m_uidvalidity + 1;
        m_uidnext = 1;
        m_highestmodseq = 1;
        m_list_fresh = true;
        return {};
    }
    m_list_fresh = false;
    m_uidvalidity = static_cast<uint32_t>(v[0]);
    m_uidnext = static_cast<uint32_t>(v[1]);
    m_highestmodseq = v[2];
    return {};
}

mta::Status Folder::write_uidlist(std::vector<Record> const& records)
{
    std::string text = "imapd-uidlist 1 " + std::to_string(m_uidvalidity) + ' '
        + std::to_string(m_uidnext) + ' ' + std::to_string(m_highestmodseq) + '\n';
    text.reserve(records.size() * 64);
    for (auto const& r : records) {
        text += std::to_string(r.uid);
        text += ' ';
        text += std::to_string(r.modseq);
        text += r.in_new ? " new " : " cur ";
        text += r.name;
        text += '\n';
    }
    return mta::write_file_atomic(m_dir + kUidlist, text, 0600);
}

// After files were renamed into cur/ or removed from it: that first, then the list.
mta::Status Folder::write_uidlist_durably()
{
    if (auto st = mta::fsync_dir(m_dir + "/cur"); !st)
        return st;
    return write_uidlist(m_records);
}

mta::Status Folder::load_keywords()
{
    m_keywords.clear();
    auto text = mta::read_file(m_dir + kKeywords, size_t { 64 } * 1024);
    if (!text)
        return text.error().errnum == ENOENT ? mta::Status {} : mta::Status(text.error());
    std::string_view rest = *text;
    while (!rest.empty()) {
        size_t nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
        if (line.size() < 3 || line[0] < 'a' || line[0] > 'z' || line[1] != ' ')
            continue;
        size_t index = static_cast<size_t>(line[0] - 'a');
        if (m_keywords.size() <= index)
            m_keywords.resize(index + 1);
        m_keywords[index] = std::string(line.substr(2));
    }
    return {};
}

// The whole reconciliation of list and directories under the lock, read top to bottom:
// known names keep their UIDs, vanished ones go, new ones get UIDs, new/ moves to cur/.
mta::Status Folder::sync_locked()
{
    remember_stamps();
    uint32_t const old_validity = m_uidvalidity;
    std::vector<Record> records;
    if (auto st = read_uidlist(records); !st)
        return st;
    if (auto st = load_keywords(); !st)
        return st;
    Disk disk;
    if (auto st = scan(m_dir, true, disk.files); !st)
        return st;
    if (auto st = scan(m_dir, false, disk.files); !st)
        return st;
    std::vector<Record> kept;
    bool const known_changed = keep_known(records, disk, kept);
    bool const any_unlisted = !disk.files.empty();
    if (auto st = add_unlisted(disk, kept); !st)
        return st;
    std::vector<uint32_t> const moved = move_new_to_cur(kept);
    if (m_list_fresh || known_changed || any_unlisted || !moved.empty()) {
        if (auto st = write_uidlist(kept); !st)
            return st;
    }
    update_view(old_validity, std::move(kept), moved);
    return {};
}

// Moves the records whose files still exist to kept, following renames (a new modseq when
// the flags changed), and takes their files out of disk. Returns whether the list changed.
bool Folder::keep_known(std::vector<Record>& records, Disk& disk, std::vector<Record>& kept)
{
    bool changed = false;
    kept.reserve(disk.files.size());
    for (auto& r : records) {
        auto it = disk.files.find(base_of(r.name));
        if (it == disk.files.end()) {
            changed = true;
            ++m_highestmodseq;
            continue;
        }
        if (it->second.name != r.name || it->second.in_new != r.in_new) {
            if (flags_of(it->second.name) != flags_of(r.name))
                r.modseq = ++m_highestmodseq;
            r.name = it->second.name;
            r.in_new = it->second.in_new;
            changed = true;
        }
        kept.push_back(std::move(r));
        disk.files.erase(it);
    }
    return changed;
}

// Messages new to the list (the files left in disk) get UIDs in delivery order.
mta::Status Folder::add_unlisted(Disk& disk, std::vector<Record>& kept)
{
    for (auto& s : in_delivery_order(m_dir, disk.files)) {
        if (m_uidnext == UINT32_MAX)
            return mta::Error::plain("UIDs exhausted");
        kept.push_back({ m_uidnext++, ++m_highestmodseq, s.in_new, std::move(s.name) });
    }
    return {};
}

// A writable folder moves its new/ files to cur/ (a name without flags gets ":2,").
// Returns the UIDs moved, in ascending order like the records.
std::vector<uint32_t> Folder::move_new_to_cur(std::vector<Record>& records)
{
    std::vector<uint32_t> moved;
    if (!m_writable)
        return moved;
    for (auto& r : records) {
        if (!r.in_new)
            continue;
        std::string const to = r.name.find(':') == std::string::npos ? r.name + ":2," : r.name;
        if (::rename((m_dir + "/new/" + r.name).c_str(), (m_dir + "/cur/" + to).c_str()) == 0) {
            r.name = to;
            r.in_new = false;
            moved.push_back(r.uid);
        }
    }
    return moved;
}

// Makes records the list of the folder and brings the view up to it: a new UIDVALIDITY
// expunges the whole view; the messages moved from new/ are \Recent for this session.
void Folder::update_view(
    uint32_t old_validity, std::vector<Record> records, std::vector<uint32_t> const& moved)
{
    if (old_validity != 0 && old_validity != m_uidvalidity) {
        for (auto& m : m_view)
            m.expunged = true; // the client must start over: all of them are gone
    }
    m_records = std::move(records);
    merge(m_records);
    for (auto& m : m_view)
        if (std::binary_search(moved.begin(), moved.end(), m.uid))
            m.recent = true;
}

void Folder::merge(std::vector<Record> const& records)
{
    size_t i = 0;
    size_t j = 0;
    uint32_t const last = m_view.empty() ? 0 : m_view.back().uid;
    while (i < m_view.size()) {
        Message& m = m_view[i];
        while (j < records.size() && records[j].uid < m.uid)
            ++j;
        if (j == records.size() || records[j].uid != m.uid) {
            m.expunged = true;
            ++i;
            continue;
        }
        Record const& r = records[j];
        std::string flags = flags_of(r.name);
        if (flags != m.flags && !m.expunged)
            m.flags_changed = true;
        m.flags = std::move(flags);
        m.modseq = r.modseq;
        m.name = r.name;
        m.in_new = r.in_new;
        ++i;
        ++j;
    }
    for (auto const& r : records) {
        if (r.uid <= last)
            continue;
        Message m;
        m.uid = r.uid;
        m.modseq = r.modseq;
        m.base = base_of(r.name);
        m.name = r.name;
        m.flags = flags_of(r.name);
        m.in_new = r.in_new;
        m.recent = r.in_new;
        m_view.push_back(std::move(m));
    }
}

std::vector<size_t> Folder::take_expunged()
{
    std::vector<size_t> gone;
    for (size_t i = m_view.size(); i-- > 0;)
        if (m_view[i].expunged)
            gone.push_back(i);
    std::erase_if(m_view, [](Message const& m) { return m.expunged; });
    return gone;
}

std::string Folder::path_of(Message const& m) const
{
    return m_dir + (m.in_new ? "/new/" : "/cur/") + m.name;
}

std::optional<std::string> Folder::find_file(std::string const& base) const
{
    for (char const* sub : { "/cur/", "/new/" }) {
        std::unordered_map<std::string, Scanned> names;
        if (!scan(m_dir, sub[1] == 'n', names))
            continue;
        auto it = names.find(base);
        if (it != names.end())
            return m_dir + sub + it->second.name;
    }
    return std::nullopt;
}

mta::Result<std::vector<size_t>> Folder::store(
    std::vector<std::pair<size_t, std::string>> const& changes)
{
    auto lock = lock_and_sync();
    if (!lock)
        return lock.error();
    std::vector<size_t> done;
    for (auto const& [index, flags] : changes) {
        Message& m = m_view[index];
        if (m.expunged || m.flags == flags)
            continue;
        std::string const name = m.base + ":2," + flags;
        std::string const to = m_dir + "/cur/" + name;
        if (::rename(path_of(m).c_str(), to.c_str()) == -1) {
            if (errno != ENOENT)
                return mta::Error::from_errno("unable to rename message file");
            // Renamed since the scan by a program that does not take the lock (a mail
            // reader, POP3): follow its base name. Gone for good: removed by someone else.
            auto found = find_file(m.base);
            bool const moved = found && ::rename(found->c_str(), to.c_str()) == 0;
            if (!moved && found && errno != ENOENT)
                return mta::Error::from_errno("unable to rename message file");
            if (!moved) {
                m.expunged = true;
                continue;
            }
        }
        auto r = std::lower_bound(m_records.begin(), m_records.end(), m.uid,
            [](Record const& rec, uint32_t uid) { return rec.uid < uid; });
        m.modseq = ++m_highestmodseq;
        if (r != m_records.end() && r->uid == m.uid) {
            r->name = name;
            r->in_new = false;
            r->modseq = m.modseq;
        }
        m.name = name;
        m.in_new = false;
        m.flags = flags;
        done.push_back(index);
    }
    if (!done.empty()) {
        if (auto st = write_uidlist(m_records); !st)
            return st.error();
    }
    return done;
}

mta::Result<std::vector<uint32_t>> Folder::expunge(std::vector<size_t> const& indexes)
{
    auto lock = lock_and_sync();
    if (!lock)
        return lock.error();
    std::vector<uint32_t> uids;
    for (size_t index : indexes) {
        Message& m = m_view[index];
        if (m.expunged)
            continue;
        if (::unlink(path_of(m).c_str()) == -1 && errno != ENOENT)
            return mta::Error::from_errno("unable to remove message file");
        m.expunged = true;
        uids.push_back(m.uid);
    }
    if (uids.empty())
        return uids;
    std::sort(uids.begin(), uids.end());
    std::erase_if(m_records,
        [&](Record const& r) { return std::binary_search(uids.begin(), uids.end(), r.uid); });
    ++m_highestmodseq;
    if (auto st = write_uidlist_durably(); !st)
        return st.error();
    return uids;
}

mta::Result<std::vector<uint32_t>> Folder::adopt(
    std::vector<std::pair<std::string, std::string>> const& names_and_flags)
{
    // The new files must not get their UIDs from the scan (sorted by mtime): take them
    // out of new/ first, in order, then let the list catch up.
    auto lock = lock_and_sync();
    if (!lock)
        return lock.error();
    std::vector<uint32_t> uids;
    for (auto const& entry : names_and_flags) {
        std::string const& name = entry.first;
        std::string const to = name + ":2," + entry.second;
        auto r = std::find_if(m_records.begin(), m_records.end(),
            [&](Record const& rec) { return rec.name == name || base_of(rec.name) == name; });
        if (r == m_records.end()) {
            uids.push_back(0);
            continue;
        }
        if (::rename(((r->in_new ? m_dir + "/new/" : m_dir + "/cur/") + r->name).c_str(),
                (m_dir + "/cur/" + to).c_str())
            == -1) {
            uids.push_back(0);
            continue;
        }
        r->name = to;
        r->in_new = false;
        uids.push_back(r->uid);
    }
    if (auto st = write_uidlist_durably(); !st)
        return st.error();
    merge(m_records);
    return uids;
}

mta::Result<std::optional<char>> Folder::keyword_letter(std::string const& name, bool assign)
{
    auto find = [&]() -> std::optional<char> {
        for (size_t i = 0; i < m_keywords.size(); ++i)
            if (!m_keywords[i].empty() && mta::field_name_equals(m_keywords[i], name))
                return static_cast<char>('a' + i);
        return std::nullopt;
    };
    if (auto letter = find(); letter || !assign)
        return letter;
    auto lock = Lock::take(m_dir);
    if (!lock)
        return lock.error();
    if (auto st = load_keywords(); !st)
        return st.error();
    if (auto letter = find())
        return letter;
    size_t slot = 0;
    while (slot < m_keywords.size() && !m_keywords[slot].empty())
        ++slot;
    if (slot >= 26)
        return std::optional<char>();
    if (m_keywords.size() <= slot)
        m_keywords.resize(slot + 1);
    m_keywords[slot] = name;
    std::string text;
    for (size_t i = 0; i < m_keywords.size(); ++i)
        if (!m_keywords[i].empty())
            text += std::string(1, static_cast<char>('a' + i)) + ' ' + m_keywords[i] + '\n';
    if (auto st = mta::write_file_atomic(m_dir + kKeywords, text, 0600); !st)
        return st.error();
    return std::optional<char>(static_cast<char>('a' + slot));
}

std::string Folder::imap_flags(std::string const& letters) const
{
    std::string out;
    for (char c : letters) {
        std::string name;
        switch (c) {
        case 'D':
            name = "\\Draft";
            break;
        case 'F':
            name = "\\Flagged";
            break;
        case 'P':
            name = "$Forwarded";
            break;
        case 'R':
            name = "\\Answered";
            break;
        case 'S':
            name = "\\Seen";
            break;
        case 'T':
            name = "\\Deleted";
            break;
        default:
            if (c >= 'a' && c <= 'z' && static_cast<size_t>(c - 'a') < m_keywords.size())
                name = m_keywords[static_cast<size_t>(c - 'a')];
        }
        if (name.empty())
            continue;
        if (!out.empty())
            out += ' ';
        out += name;
    }
    return out;
}

char system_flag_letter(std::string const& flag)
{
    static constexpr std::pair<char const*, char> kFlags[]
        = { { "\\Draft", 'D' }, { "\\Flagged", 'F' }, { "$Forwarded", 'P' }, { "\\Answered", 'R' },
              { "\\Seen", 'S' }, { "\\Deleted", 'T' } };
    for (auto const& [name, letter] : kFlags)
        if (mta::field_name_equals(name, flag))
            return letter;
    return '\0';
}

mta::Result<FolderStatus> folder_status(std::string const& dir)
{
    auto folder = Folder::open(dir, false);
    if (!folder)
        return folder.error();
    FolderStatus st;
    st.uidvalidity = folder->uidvalidity();
    st.uidnext = folder->uidnext();
    st.highestmodseq = folder->highestmodseq();
    for (auto const& m : folder->messages()) {
        ++st.messages;
        st.recent += m.in_new ? 1 : 0;
        st.unseen += m.flags.find('S') == std::string::npos ? 1 : 0;
    }
    return st;
}

} // namespace imapd
