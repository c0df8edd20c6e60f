// The commands on the messages of the selected mailbox: FETCH, STORE, COPY, MOVE,
// EXPUNGE, and APPEND (which may also target the selected mailbox). SEARCH is in
// search.cpp.
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

std::string internal_date(int64_t seconds)
{
    static char const* const kMonths[]
        = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    time_t t = static_cast<time_t>(seconds);
    struct tm tm;
    if (!::gmtime_r(&t, &tm))
        return "\"01-Jan-1970 00:00:00 +0000\"";
    char buf[64];
    std::snprintf(buf, sizeof buf, "\"%02d-%s-%04d %02d:%02d:%02d +0000\"", tm.tm_mday,
        kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
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

bool is_cached_field(std::string_view name)
{
    for (char const* f : kCachedFields)
        if (mta::field_name_equals(name, f))
            return true;
    return false;
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

// Sequence numbers the client cannot know are an error (RFC 3501 6.4.5: BAD or NO);
// UIDs that do not exist are simply skipped.
static bool sequence_valid(SeqSet const& set, size_t exists)
{
    for (auto const& r : set.ranges()) {
        if (exists == 0 && (r.low == 0 || r.high == 0))
            continue; // "1:*" in an empty mailbox names no message
        if (r.low > exists || r.high > exists)
            return false;
    }
    return true;
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

std::string Session::fetch_item(Message const& m, size_t index, FetchItem const& item)
{
    using K = FetchItem::Kind;
    (void)index;
    switch (item.kind) {
    case K::uid:
        return "UID " + std::to_string(m.uid);
    case K::flags:
        return flags_response(m);
    case K::modseq:
        return "MODSEQ (" + std::to_string(m.modseq) + ")";
    case K::rfc822_size:
    case K::internaldate: {
        auto info = meta(m);
        if (!info)
            return {};
        return item.kind == K::rfc822_size ? "RFC822.SIZE " + std::to_string(info->size)
                                           : "INTERNALDATE " + internal_date(info->date);
    }
    case K::envelope:
    case K::bodystructure: {
        if (!meta(m))
            return {};
        auto const* e = m_cache->find(m.base);
        if (e)
            return item.kind == K::envelope ? "ENVELOPE " + m_cache->envelope(*e)
                                            : "BODYSTRUCTURE " + m_cache->body_structure(*e);
        Loaded const* l = load(m); // no cache file: computed each time
        if (!l)
            return {};
        return item.kind == K::envelope ? "ENVELOPE " + envelope(l->text, l->root)
                                        : "BODYSTRUCTURE " + body_structure(l->text, l->root, true);
    }
    default:
        break;
    }
    Loaded const* l = load(m);
    if (!l)
        return {};
    auto literal = [](std::string_view data) {
        return "{" + std::to_string(data.size()) + "}\r\n" + std::string(data);
    };
    switch (item.kind) {
    case K::body:
        return "BODY " + body_structure(l->text, l->root, false);
    case K::rfc822:
        return "RFC822 " + literal(l->text);
    case K::rfc822_header:
        return "RFC822.HEADER " + literal(std::string_view(l->text).substr(0, l->root.body_begin));
    case K::rfc822_text:
        return "RFC822.TEXT " + literal(std::string_view(l->text).substr(l->root.body_begin));
    case K::section: {
        auto data = section_text(l->text, l->root, item.section);
        std::string name = "BODY[" + item.section.spec + "]";
        std::string_view bytes = data ? std::string_view(*data) : std::string_view();
        if (item.origin) {
            name += "<" + std::to_string(*item.origin) + ">";
            bytes = *item.origin < bytes.size() ? bytes.substr(*item.origin, item.count)
                                                : std::string_view();
        }
        return name + ' ' + (data ? literal(bytes) : std::string("NIL"));
    }
    default:
        return {};
    }
}

void Session::cmd_fetch(std::string const& tag, Cursor& c, bool uid)
{
    auto args = parse_fetch(c);
    if (!args)
        return tagged(tag, Reply::bad, "invalid FETCH arguments");
    if (!uid && !sequence_valid(args->set, m_folder->messages().size()))
        return tagged(tag, Reply::bad, "invalid message sequence number");
    using K = FetchItem::Kind;
    auto has = [&](K kind) {
        return std::any_of(args->items.begin(), args->items.end(),
            [&](FetchItem const& i) { return i.kind == kind; });
    };
    if (uid && !has(K::uid))
        args->items.insert(args->items.begin(), FetchItem { K::uid, false, {}, {}, 0 });
    if (args->changed_since || has(K::modseq))
        m_condstore = true;
    // RFC 7162 3.1.4.1: once CONDSTORE is on, FLAGS come with MODSEQ.
    if ((args->changed_since || (m_condstore && has(K::flags))) && !has(K::modseq))
        args->items.push_back(FetchItem { K::modseq, false, {}, {}, 0 });
    bool const sets_seen = !m_read_only
        && std::any_of(args->items.begin(), args->items.end(), [](FetchItem const& i) {
               return (i.kind == K::section && !i.peek) || i.kind == K::rfc822
                   || i.kind == K::rfc822_text;
           });
    auto indexes = resolve(args->set, uid);
    auto& view = m_folder->messages();
    if (args->changed_since)
        std::erase_if(indexes, [&](size_t i) { return view[i].modseq <= *args->changed_since; });
    std::vector<char> flags_added(view.size(), 0);
    if (sets_seen) {
        std::vector<std::pair<size_t, std::string>> changes;
        for (size_t i : indexes) {
            if (view[i].flags.find('S') != std::string::npos || view[i].expunged)
                continue;
            std::string f = view[i].flags + 'S';
            std::sort(f.begin(), f.end());
            changes.emplace_back(i, f);
        }
        if (!changes.empty()) {
            auto done = m_folder->store(changes);
            if (done)
                for (size_t i : *done)
                    flags_added[i] = !has(K::flags);
        }
    }
    for (size_t i : indexes) {
        Message const& m = view[i];
        if (m.expunged)
            continue;
        std::string line = "* " + std::to_string(i + 1) + " FETCH (";
        bool first = true;
        for (auto const& item : args->items) {
            std::string part = fetch_item(m, i, item);
            if (part.empty())
                continue;
            line += first ? "" : " ";
            line += part;
            first = false;
        }
        if (flags_added[i])
            line += (first ? "" : " ") + flags_response(m);
        send(line + ")\r\n");
        view[i].flags_changed = false;
    }
    tagged(tag, Reply::ok, uid ? "UID FETCH completed" : "FETCH completed");
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

void Session::cmd_store(std::string const& tag, Cursor& c, bool uid)
{
    auto args = parse_store(c);
    if (!args)
        return tagged(tag, Reply::bad, "invalid STORE arguments");
    if (!uid && !sequence_valid(args->set, m_folder->messages().size()))
        return tagged(tag, Reply::bad, "invalid message sequence number");
    if (m_read_only)
        return tagged(tag, Reply::no, "[READ-ONLY] mailbox is read-only");
    bool ok = true;
    std::string const letters = flag_letters(args->flags, true, ok);
    if (!ok)
        return tagged(tag, Reply::bad, "invalid flag, or more than 26 keywords in this mailbox");
    if (args->unchanged_since)
        m_condstore = true;
    auto indexes = resolve(args->set, uid);
    auto& view = m_folder->messages();
    std::vector<std::pair<size_t, std::string>> changes;
    std::vector<uint32_t> modified;
    for (size_t i : indexes) {
        Message const& m = view[i];
        if (args->unchanged_since && m.modseq > *args->unchanged_since) {
            modified.push_back(uid ? m.uid : static_cast<uint32_t>(i + 1));
            continue;
        }
        std::string f;
        if (args->mode == StoreArgs::Mode::replace) {
            f = letters;
        } else if (args->mode == StoreArgs::Mode::add) {
            f = m.flags;
            for (char l : letters)
                if (f.find(l) == std::string::npos)
                    f += l;
        } else {
            for (char l : m.flags)
                if (letters.find(l) == std::string::npos)
                    f += l;
        }
        std::sort(f.begin(), f.end());
        changes.emplace_back(i, f);
    }
    auto done = m_folder->store(changes);
    if (!done)
        return tagged(tag, Reply::no, "[SERVERBUG] " + done.error().text());
    for (auto const& [i, f] : changes) {
        Message& m = view[i];
        m.flags_changed = false;
        if (args->silent || m.expunged)
            continue;
        std::string line = "* " + std::to_string(i + 1) + " FETCH (" + flags_response(m);
        if (uid)
            line += " UID " + std::to_string(m.uid);
        if (m_condstore)
            line += " MODSEQ (" + std::to_string(m.modseq) + ")";
        send(line + ")\r\n");
    }
    if (!modified.empty())
        return tagged(tag, Reply::ok,
            "[MODIFIED " + uid_list(modified) + "] conditional STORE failed for some");
    tagged(tag, Reply::ok, uid ? "UID STORE completed" : "STORE completed");
}

void Session::cmd_copy(std::string const& tag, Cursor& c, bool uid, bool move)
{
    auto set = c.sp() ? c.seq_set() : std::nullopt;
    auto name = set && c.sp() ? c.astring() : std::nullopt;
    if (!name || !c.at_end())
        return tagged(tag, Reply::bad, "sequence set and mailbox expected");
    if (!uid && !sequence_valid(*set, m_folder->messages().size()))
        return tagged(tag, Reply::bad, "invalid message sequence number");
    if (move && m_read_only)
        return tagged(tag, Reply::no, "[READ-ONLY] mailbox is read-only");
    auto dir = m_store.dir_of(*name);
    if (!dir || !m_store.exists(*name))
        return tagged(tag, Reply::no, "[TRYCREATE] no such mailbox");
    auto target = Folder::open(*dir, false);
    if (!target)
        return tagged(tag, Reply::no, "[SERVERBUG] " + target.error().text());
    auto indexes = resolve(*set, uid);
    auto const& view = m_folder->messages();
    std::vector<std::pair<std::string, std::string>> added;
    std::vector<uint32_t> sources;
    std::vector<size_t> moved;
    for (size_t i : indexes) {
        Message const& m = view[i];
        if (m.expunged)
            continue;
        // Keywords are per folder: translate the letters.
        std::string letters;
        for (char l : m.flags) {
            if (l >= 'A' && l <= 'Z') {
                letters += l;
            } else if (auto kw
                       = target->keyword_letter(m_folder->imap_flags(std::string(1, l)), true);
                       kw && *kw) {
                letters += **kw;
            }
        }
        std::sort(letters.begin(), letters.end());
        std::string const fresh = unique_name();
        if (::link(m_folder->path_of(m).c_str(), (*dir + "/new/" + fresh).c_str()) == -1) {
            if (errno == ENOENT)
                continue; // expunged meanwhile
            return tagged(tag, Reply::no,
                "[SERVERBUG] " + mta::Error::from_errno("unable to copy message").text());
        }
        added.emplace_back(fresh, letters);
        sources.push_back(m.uid);
        moved.push_back(i);
    }
    if (auto st = mta::fsync_dir(*dir + "/new"); !st)
        return tagged(tag, Reply::no, "[SERVERBUG] " + st.error().text());
    auto uids = target->adopt(added);
    if (!uids)
        return tagged(tag, Reply::no, "[SERVERBUG] " + uids.error().text());
    std::string code = sources.empty() ? std::string()
                                       : "[COPYUID " + std::to_string(target->uidvalidity()) + ' '
            + uid_list(sources) + ' ' + uid_list(*uids) + "] ";
    if (move) {
        if (!code.empty())
            send("* OK " + code + "moved\r\n");
        auto gone = m_folder->expunge(moved);
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
    auto name = c.sp() ? c.astring() : std::nullopt;
    if (!name || !c.sp())
        return tagged(tag, Reply::bad, "APPEND mailbox [flags] [date] message expected");
    std::vector<std::string> flags;
    if (c.peek() == '(') {
        auto list = c.flag_list();
        if (!list || !c.sp())
            return tagged(tag, Reply::bad, "invalid flag list");
        flags = std::move(*list);
    }
    std::optional<time_t> date;
    if (c.peek() == '"') {
        auto text = c.string();
        date = text ? parse_date_time(*text) : std::nullopt;
        if (!date || !c.sp())
            return tagged(tag, Reply::bad, "invalid date-time");
    }
    if (c.peek() != '{')
        return tagged(tag, Reply::bad, "message literal expected");
    auto message = c.string();
    if (!message || !c.at_end())
        return tagged(tag, Reply::bad, "invalid message literal");
    auto dir = m_store.dir_of(*name);
    if (!dir || !m_store.exists(*name))
        return tagged(tag, Reply::no, "[TRYCREATE] no such mailbox");
    auto target = Folder::open(*dir, false);
    if (!target)
        return tagged(tag, Reply::no, "[SERVERBUG] " + target.error().text());
    std::string letters;
    for (auto const& f : flags) {
        char l = system_flag_letter(f);
        if (!l && f[0] == '\\' && f != "\\Recent")
            return tagged(tag, Reply::bad, "invalid flag " + f);
        if (!l && f[0] != '\\') {
            auto kw = target->keyword_letter(f, true);
            if (kw && *kw)
                l = **kw;
        }
        if (l && letters.find(l) == std::string::npos)
            letters += l;
    }
    std::sort(letters.begin(), letters.end());
    auto file = mta::MaildirFile::create(*dir);
    if (!file)
        return tagged(tag, Reply::no, "[SERVERBUG] " + file.error().text());
    if (auto st = file->write(to_lf(*message)); !st)
        return tagged(tag, Reply::no, "[SERVERBUG] " + st.error().text());
    auto committed = file->commit();
    if (!committed)
        return tagged(tag, Reply::no, "[SERVERBUG] " + committed.error().text());
    std::string const fresh = file->name();
    if (date) {
        struct timespec times[2] = { { *date, 0 }, { *date, 0 } };
        (void)::utimensat(AT_FDCWD, (*dir + "/new/" + fresh).c_str(), times, 0);
    }
    auto uids = target->adopt({ { fresh, letters } });
    if (!uids || uids->empty() || (*uids)[0] == 0)
        return tagged(tag, Reply::no, "[SERVERBUG] message stored but not listed");
    tagged(tag, Reply::ok,
        "[APPENDUID " + std::to_string(target->uidvalidity()) + ' ' + std::to_string((*uids)[0])
            + "] APPEND completed");
}

} // namespace imapd
