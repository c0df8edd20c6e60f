// The commands on the messages of the selected mailbox: STORE, COPY, MOVE, EXPUNGE, and
// APPEND (which may also target the selected mailbox); the reading of a message file and
// its cache entry. FETCH is in fetch.cpp, SEARCH in search.cpp.
#include "session.hpp"

#include "fd.hpp"
#include "header.hpp"
#include "maildir.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

namespace imapd {

namespace {

constexpr size_t kMaxMessageFile = size_t { 256 } * 1024 * 1024;

std::string to_lf(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i)
        if (!(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n'))
            out += text[i];
    return out;
}

// "1:3,7" of values in the order given, runs of +1 joined.
std::string uid_list(std::vector<uint32_t> const& values)
{
    std::string out;
    for (size_t i = 0; i < values.size();) {
        size_t j = i;
        while (j + 1 < values.size() && values[j + 1] == values[j] + 1)
            ++j;
        if (!out.empty())
            out += ',';
        out += std::to_string(values[i]);
        if (j != i)
            out += ':' + std::to_string(values[j]);
        i = j + 1;
    }
    return out;
}

std::string unique_name()
{
    static unsigned long sequence = 0;
    struct timeval now;
    ::gettimeofday(&now, nullptr);
    char host[HOST_NAME_MAX + 1] = {};
    if (::gethostname(host, sizeof host - 1) == -1)
        host[0] = '\0';
    return mta::maildir_unique_name(
        now.tv_sec, now.tv_usec, ::getpid(), ++sequence, mta::maildir_host(host));
}

// The cached fields of a message: "Name: unfolded value\n" each.
std::string search_headers(std::string_view text, Part const& root)
{
    std::string out;
    mta::HeaderReader reader(text.substr(root.header_begin, root.body_begin - root.header_begin));
    while (auto field = reader.next()) {
        if (!is_cached_field(field->name))
            continue;
        std::string value = mta::unfold(field->raw_value);
        std::replace(value.begin(), value.end(), '\n', ' ');
        std::replace(value.begin(), value.end(), '\r', ' ');
        out += std::string(field->name) + ": " + value + '\n';
    }
    return out;
}

// Sequence numbers the client cannot know are an error (RFC 3501 6.4.5: BAD or NO);
// UIDs that do not exist are simply skipped.
bool sequence_valid(SeqSet const& set, size_t exists)
{
    for (auto const& r : set.ranges()) {
        if (exists == 0 && (r.low == 0 || r.high == 0))
            continue; // "1:*" in an empty mailbox names no message
        if (r.low > exists || r.high > exists)
            return false;
    }
    return true;
}

// The sorted flag letters of a message after STORE: letters replace, are added to or
// are removed from its current ones.
std::string stored_flags(
    StoreArgs::Mode mode, std::string const& current, std::string const& letters)
{
    std::string f;
    if (mode == StoreArgs::Mode::replace) {
        f = letters;
    } else if (mode == StoreArgs::Mode::add) {
        f = current;
        for (char l : letters)
            if (f.find(l) == std::string::npos)
                f += l;
    } else {
        for (char l : current)
            if (letters.find(l) == std::string::npos)
                f += l;
    }
    std::sort(f.begin(), f.end());
    return f;
}

// Keywords are per folder: the letters of a message of source translated for target.
std::string target_letters(std::string const& flags, Folder const& source, Folder& target)
{
    std::string letters;
    for (char l : flags) {
        if (l >= 'A' && l <= 'Z') {
            letters += l;
        } else if (auto kw = target.keyword_letter(source.imap_flags(std::string(1, l)), true);
                   kw && *kw) {
            letters += **kw;
        }
    }
    std::sort(letters.begin(), letters.end());
    return letters;
}

// What COPY linked into the target's new/: (file name, flag letters there) each, with the
// UID and the index of its source message.
struct Copied {
    std::vector<std::pair<std::string, std::string>> added;
    std::vector<uint32_t> sources;
    std::vector<size_t> indexes;
};

// Links the messages of source (by index) into target's new/ under fresh names. A file
// renamed by another program since the last look (flags, new/ to cur/) is followed by its
// base name. A message that is gone (removed by another session or program) is skipped
// when skip_gone (UID COPY: it no longer exists); else link_copies returns false and the
// links made so far stay in copied, for unlink_copies.
mta::Result<bool> link_copies(Folder const& source, std::vector<size_t> const& indexes,
    Folder& target, Copied& copied, bool skip_gone)
{
    auto const& view = source.messages();
    if (!skip_gone
        && std::any_of(indexes.begin(), indexes.end(), [&](size_t i) { return view[i].expunged; }))
        return false;
    for (size_t i : indexes) {
        Message const& m = view[i];
        if (m.expunged)
            continue;
        std::string const letters = target_letters(m.flags, source, target);
        std::string const fresh = unique_name();
        std::string const to = target.dir() + "/new/" + fresh;
        bool linked = ::link(source.path_of(m).c_str(), to.c_str()) == 0;
        bool gone = false;
        for (int attempt = 0; !linked && !gone && attempt < 2 && errno == ENOENT; ++attempt) {
            auto found = source.find_file(m.base);
            gone = !found;
            linked = found && ::link(found->c_str(), to.c_str()) == 0;
        }
        if (gone && skip_gone)
            continue;
        if (gone)
            return false;
        if (!linked)
            return mta::Error::from_errno("unable to copy message");
        copied.added.emplace_back(fresh, letters);
        copied.sources.push_back(m.uid);
        copied.indexes.push_back(i);
    }
    return true;
}

// Takes back what link_copies put into target's new/: COPY copies all or nothing.
void unlink_copies(Folder const& target, Copied const& copied)
{
    for (auto const& entry : copied.added)
        (void)::unlink((target.dir() + "/new/" + entry.first).c_str());
    (void)mta::fsync_dir(target.dir() + "/new");
}

// "[COPYUID ...] " of UIDPLUS, or "" when nothing was copied.
std::string copyuid_code(
    uint32_t validity, std::vector<uint32_t> const& sources, std::vector<uint32_t> const& uids)
{
    if (sources.empty())
        return {};
    return "[COPYUID " + std::to_string(validity) + ' ' + uid_list(sources) + ' ' + uid_list(uids)
        + "] ";
}

struct AppendArgs {
    std::string mailbox;
    std::vector<std::string> flags;
    std::optional<time_t> date;
    std::string message;
};

// " mailbox [(flags)] ["date-time"] literal" into args: nullptr, or the text of the BAD
// answer.
char const* parse_append(Cursor& c, AppendArgs& args)
{
    auto name = c.sp() ? c.astring() : std::nullopt;
    if (!name || !c.sp())
        return "APPEND mailbox [flags] [date] message expected";
    args.mailbox = std::move(*name);
    if (c.peek() == '(') {
        auto list = c.flag_list();
        if (!list || !c.sp())
            return "invalid flag list";
        args.flags = std::move(*list);
    }
    if (c.peek() == '"') {
        auto text = c.string();
        args.date = text ? parse_date_time(*text) : std::nullopt;
        if (!args.date || !c.sp())
            return "invalid date-time";
    }
    if (c.peek() != '{')
        return "message literal expected";
    auto message = c.string();
    if (!message || !c.at_end())
        return "invalid message literal";
    args.message = std::move(*message);
    return nullptr;
}

// The sorted letters of APPEND's flags in target (a new keyword gets a letter there);
// nullopt for an unknown system flag, which bad then names.
std::optional<std::string> append_letters(
    std::vector<std::string> const& flags, Folder& target, std::string& bad)
{
    std::string letters;
    for (auto const& f : flags) {
        char l = system_flag_letter(f);
        if (!l && f[0] == '\\' && f != "\\Recent") {
            bad = f;
            return std::nullopt;
        }
        if (!l && f[0] != '\\') {
            auto kw = target.keyword_letter(f, true);
            if (kw && *kw)
                l = **kw;
        }
        if (l && letters.find(l) == std::string::npos)
            letters += l;
    }
    std::sort(letters.begin(), letters.end());
    return letters;
}

// Delivers an APPENDed message into dir's new/ with LF line ends, dated (its mtime) when
// a date is given; returns its file name.
mta::Result<std::string> deliver_appended(
    std::string const& dir, std::string const& message, std::optional<time_t> date)
{
    auto file = mta::MaildirFile::create(dir);
    if (!file)
        return file.error();
    if (auto st = file->write(to_lf(message)); !st)
        return st.error();
    auto committed = file->commit();
    if (!committed)
        return committed.error();
    std::string const fresh = file->name();
    if (date) {
        struct timespec times[2] = { { *date, 0 }, { *date, 0 } };
        (void)::utimensat(AT_FDCWD, (dir + "/new/" + fresh).c_str(), times, 0);
    }
    return fresh;
}

} // namespace

std::vector<size_t> Session::resolve(SeqSet const& set, bool uid) const
{
    auto const& view = m_folder->messages();
    std::vector<char> marked(view.size(), 0);
    uint32_t const largest_uid = view.empty() ? 0 : view.back().uid;
    for (auto const& r : set.ranges()) {
        uint32_t largest = uid ? largest_uid : static_cast<uint32_t>(view.size());
        uint32_t a = r.low == 0 ? largest : r.low;
        uint32_t b = r.high == 0 ? largest : r.high;
        if (a > b)
            std::swap(a, b);
        if (!uid) {
            for (uint64_t n = std::max<uint32_t>(a, 1); n <= b && n <= view.size(); ++n)
                marked[n - 1] = 1;
            continue;
        }
        auto it = std::lower_bound(view.begin(), view.end(), a,
            [](Message const& m, uint32_t value) { return m.uid < value; });
        for (; it != view.end() && it->uid <= b; ++it)
            marked[static_cast<size_t>(it - view.begin())] = 1;
    }
    std::vector<size_t> out;
    for (size_t i = 0; i < marked.size(); ++i)
        if (marked[i])
            out.push_back(i);
    return out;
}

Session::Loaded const* Session::load(Message const& m)
{
    if (m_loaded && m_loaded->uid == m.uid)
        return m_loaded.get();
    m_loaded.reset();
    std::string path = m_folder->path_of(m);
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto fd = mta::open_read(path);
        if (!fd) {
            if (fd.error().errnum != ENOENT || attempt > 0)
                return nullptr;
            // Renamed by someone else (flags, new/ to cur/): look for its new name. The
            // view is left alone, so callers' references into it stay valid.
            auto found = m_folder->find_file(m.base);
            if (!found)
                return nullptr;
            path = std::move(*found);
            continue;
        }
        struct stat st;
        if (::fstat(fd->get(), &st) == -1 || static_cast<size_t>(st.st_size) > kMaxMessageFile)
            return nullptr;
        std::string raw(static_cast<size_t>(st.st_size), '\0');
        size_t have = 0;
        while (have < raw.size()) {
            ssize_t n = ::read(fd->get(), raw.data() + have, raw.size() - have);
            if (n <= 0) {
                if (n == -1 && errno == EINTR)
                    continue;
                break;
            }
            have += static_cast<size_t>(n);
        }
        raw.resize(have);
        auto loaded = std::make_unique<Loaded>();
        loaded->uid = m.uid;
        loaded->text = to_crlf(raw);
        loaded->root = parse_message(loaded->text);
        loaded->date = st.st_mtim.tv_sec;
        m_loaded = std::move(loaded);
        return m_loaded.get();
    }
    return nullptr;
}

std::optional<Session::Meta> Session::meta(Message const& m)
{
    if (auto const* e = m_cache->find(m.base))
        return Meta { e->size, e->date };
    Loaded const* l = load(m);
    if (!l)
        return std::nullopt;
    (void)m_cache->add(m.base, l->text.size(), l->date, envelope(l->text, l->root),
        body_structure(l->text, l->root, true), search_headers(l->text, l->root));
    return Meta { l->text.size(), l->date };
}

std::optional<std::string> Session::cached_headers(Message const& m)
{
    if (!meta(m))
        return std::nullopt;
    auto const* e = m_cache->find(m.base);
    if (!e)
        return std::nullopt;
    return m_cache->headers(*e);
}

// False after the BAD answer to a sequence set that names messages the client cannot
// know (see sequence_valid).
bool Session::check_sequence(std::string const& tag, SeqSet const& set, bool uid)
{
    if (uid || sequence_valid(set, m_folder->messages().size()))
        return true;
    tagged(tag, Reply::bad, "invalid message sequence number");
    return false;
}

// UID FETCH, STORE, COPY and MOVE: a UID that no longer exists is simply not there (RFC
// 3501 6.4.8, RFC 9051 6.4.9), and EXPUNGE responses are allowed during these commands.
// The removals by others since the last look are reported first, so that the message
// numbers of the answer agree with the client's. False after the answer when the
// selected mailbox went away meanwhile.
bool Session::report_expunges_first(std::string const& tag)
{
    report_updates(true);
    if (m_folder)
        return true;
    tagged(tag, Reply::no, "the selected mailbox was deleted or renamed");
    return false;
}

// The folder that APPEND or COPY writes to; nullopt after the NO answer.
std::optional<Folder> Session::open_target(std::string const& tag, std::string const& name)
{
    auto dir = m_store.dir_of(name);
    if (!dir || !m_store.exists(name)) {
        tagged(tag, Reply::no, "[TRYCREATE] no such mailbox");
        return std::nullopt;
    }
    auto target = Folder::open(*dir, false);
    if (!target) {
        tagged(tag, Reply::no, "[SERVERBUG] " + target.error().text());
        return std::nullopt;
    }
    return std::move(*target);
}

std::string Session::flag_letters(std::vector<std::string> const& flags, bool assign, bool& ok)
{
    std::string letters;
    ok = true;
    for (auto const& f : flags) {
        char letter = system_flag_letter(f);
        if (!letter) {
            if (f == "\\Recent" || f == "\\*")
                continue;
            if (f[0] == '\\') {
                ok = false;
                return {};
            }
            auto kw = m_folder ? m_folder->keyword_letter(f, assign)
                               : mta::Result<std::optional<char>>(std::optional<char>());
            if (!kw || !*kw) {
                if (assign)
                    ok = false;
                continue;
            }
            letter = **kw;
        }
        if (letters.find(letter) == std::string::npos)
            letters += letter;
    }
    std::sort(letters.begin(), letters.end());
    return letters;
}

// The untagged FETCH of each message that STORE changed, unless it was .SILENT.
void Session::report_stored(
    std::vector<std::pair<size_t, std::string>> const& changes, bool silent, bool uid)
{
    auto& view = m_folder->messages();
    for (auto const& change : changes) {
        size_t const i = change.first;
        Message& m = view[i];
        m.flags_changed = false;
        if (silent || m.expunged)
            continue;
        std::string line = "* " + std::to_string(i + 1) + " FETCH (" + flags_response(m);
        if (uid)
            line += " UID " + std::to_string(m.uid);
        if (m_condstore)
            line += " MODSEQ (" + std::to_string(m.modseq) + ")";
        send(line + ")\r\n");
    }
}

void Session::cmd_store(std::string const& tag, Cursor& c, bool uid)
{
    auto args = parse_store(c);
    if (!args)
        return tagged(tag, Reply::bad, "invalid STORE arguments");
    if (!check_sequence(tag, args->set, uid))
        return;
    if (m_read_only)
        return tagged(tag, Reply::no, "[READ-ONLY] mailbox is read-only");
    bool ok = true;
    std::string const letters = flag_letters(args->flags, true, ok);
    if (!ok)
        return tagged(tag, Reply::bad, "invalid flag, or more than 26 keywords in this mailbox");
    if (args->unchanged_since)
        m_condstore = true;
    if (uid && !report_expunges_first(tag))
        return;
    auto const indexes = resolve(args->set, uid);
    (void)m_folder->sync(); // others' flag changes and removals, before adding to the flags
    auto const& view = m_folder->messages();
    std::vector<std::pair<size_t, std::string>> changes;
    std::vector<uint32_t> modified; // UNCHANGEDSINCE failed
    for (size_t i : indexes) {
        Message const& m = view[i];
        if (m.expunged)
            continue;
        if (args->unchanged_since && m.modseq > *args->unchanged_since)
            modified.push_back(uid ? m.uid : static_cast<uint32_t>(i + 1));
        else
            changes.emplace_back(i, stored_flags(args->mode, m.flags, letters));
    }
    auto done = m_folder->store(changes);
    if (!done)
        return tagged(tag, Reply::no, "[SERVERBUG] " + done.error().text());
    report_stored(changes, args->silent, uid);
    if (!modified.empty())
        return tagged(tag, Reply::ok,
            "[MODIFIED " + uid_list(modified) + "] conditional STORE failed for some");
    // RFC 2180 4.2: the flags of the others are set; NO unless .SILENT. With UIDs, a
    // message that is gone no longer exists: its EXPUNGE comes before the OK.
    bool const gone = !uid && std::any_of(indexes.begin(), indexes.end(), [&](size_t i) {
        return m_folder->messages()[i].expunged;
    });
    if (gone && !args->silent)
        return tagged(tag, Reply::no, kExpungeIssued);
    tagged(tag, Reply::ok, uid ? "UID STORE completed" : "STORE completed");
}

void Session::cmd_copy(std::string const& tag, Cursor& c, bool uid, bool move)
{
    auto set = c.sp() ? c.seq_set() : std::nullopt;
    auto name = set && c.sp() ? c.astring() : std::nullopt;
    if (!name || !c.at_end())
        return tagged(tag, Reply::bad, "sequence set and mailbox expected");
    if (!check_sequence(tag, *set, uid))
        return;
    if (move && m_read_only)
        return tagged(tag, Reply::no, "[READ-ONLY] mailbox is read-only");
    auto target = open_target(tag, *name);
    if (!target)
        return;
    if (uid && !report_expunges_first(tag))
        return;
    auto const indexes = resolve(*set, uid);
    (void)m_folder->sync(); // removals and renames by others since the last look
    // RFC 3501 6.4.7: all or nothing. A message removed meanwhile fails the whole COPY by
    // sequence number; UID COPY copies all the messages that still exist (its EXPUNGE
    // responses tell the client which are gone), and with none left copies nothing and
    // answers OK without COPYUID (whose UID sets are never empty, RFC 4315).
    Copied copied;
    auto linked = link_copies(*m_folder, indexes, *target, copied, uid);
    if (!linked || !*linked) {
        unlink_copies(*target, copied);
        if (!linked)
            return tagged(tag, Reply::no, "[SERVERBUG] " + linked.error().text());
        return tagged(tag, Reply::no,
            std::string(kExpungeIssued) + (move ? ", nothing was moved" : ", nothing was copied"));
    }
    if (auto st = mta::fsync_dir(target->dir() + "/new"); !st) {
        unlink_copies(*target, copied);
        return tagged(tag, Reply::no, "[SERVERBUG] " + st.error().text());
    }
    auto uids = target->adopt(copied.added);
    if (!uids)
        return tagged(tag, Reply::no, "[SERVERBUG] " + uids.error().text());
    std::string const code = copyuid_code(target->uidvalidity(), copied.sources, *uids);
    if (move) {
        if (!code.empty())
            send("* OK " + code + "moved\r\n");
        auto gone = m_folder->expunge(copied.indexes);
        if (!gone)
            return tagged(tag, Reply::no, "[SERVERBUG] " + gone.error().text());
        return tagged(tag, Reply::ok, uid ? "UID MOVE completed" : "MOVE completed");
    }
    tagged(tag, Reply::ok, code + (uid ? "UID COPY completed" : "COPY completed"));
}

void Session::cmd_expunge(std::string const& tag, Cursor& c, bool uid)
{
    std::optional<SeqSet> set;
    if (uid) {
        set = c.sp() ? c.seq_set() : std::nullopt;
        if (!set)
            return tagged(tag, Reply::bad, "UID EXPUNGE needs a UID set");
    }
    if (!c.at_end())
        return tagged(tag, Reply::bad, "junk after EXPUNGE");
    if (m_read_only)
        return tagged(tag, Reply::no, "[READ-ONLY] mailbox is read-only");
    auto const& view = m_folder->messages();
    std::vector<size_t> deleted;
    auto in_set = set ? resolve(*set, true) : std::vector<size_t>();
    for (size_t i = 0; i < view.size(); ++i)
        if (view[i].flags.find('T') != std::string::npos
            && (!set || std::binary_search(in_set.begin(), in_set.end(), i)))
            deleted.push_back(i);
    if (!deleted.empty()) {
        auto gone = m_folder->expunge(deleted);
        if (!gone)
            return tagged(tag, Reply::no, "[SERVERBUG] " + gone.error().text());
    }
    tagged(tag, Reply::ok, uid ? "UID EXPUNGE completed" : "EXPUNGE completed");
}

void Session::cmd_append(std::string const& tag, Cursor& c)
{
    AppendArgs args;
    if (char const* why = parse_append(c, args))
        return tagged(tag, Reply::bad, why);
    auto target = open_target(tag, args.mailbox);
    if (!target)
        return;
    std::string bad_flag;
    auto letters = append_letters(args.flags, *target, bad_flag);
    if (!letters)
        return tagged(tag, Reply::bad, "invalid flag " + bad_flag);
    auto fresh = deliver_appended(target->dir(), args.message, args.date);
    if (!fresh)
        return tagged(tag, Reply::no, "[SERVERBUG] " + fresh.error().text());
    auto uids = target->adopt({ { *fresh, *letters } });
    if (!uids || uids->empty() || (*uids)[0] == 0)
        return tagged(tag, Reply::no, "[SERVERBUG] message stored but not listed");
    tagged(tag, Reply::ok,
        "[APPENDUID " + std::to_string(target->uidvalidity()) + ' ' + std::to_string((*uids)[0])
            + "] APPEND completed");
}

} // namespace imapd
