// FETCH (RFC 3501 6.4.5, RFC 7162 CHANGEDSINCE): the items of each message, from the view
// (flags, UID, modseq), the cache (size, date, ENVELOPE, BODYSTRUCTURE) or the message
// file, and the \Seen flag that reading a body sets.
#include "session.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace imapd {

namespace {

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

std::string literal(std::string_view data)
{
    return "{" + std::to_string(data.size()) + "}\r\n" + std::string(data);
}

// "BODY[section]<origin> " and the literal, or NIL for a part that does not exist.
std::string section_response(std::string const& text, Part const& root, FetchItem const& item)
{
    auto data = section_text(text, root, item.section);
    std::string name = "BODY[" + item.section.spec + "]";
    std::string_view bytes = data ? std::string_view(*data) : std::string_view();
    if (item.origin) {
        name += "<" + std::to_string(*item.origin) + ">";
        bytes = *item.origin < bytes.size() ? bytes.substr(*item.origin, item.count)
                                            : std::string_view();
    }
    return name + ' ' + (data ? literal(bytes) : std::string("NIL"));
}

// The FETCH items read from the message itself (BODY, RFC822*, BODY[...]); "" for others.
std::string content_item(std::string const& text, Part const& root, FetchItem const& item)
{
    using K = FetchItem::Kind;
    switch (item.kind) {
    case K::body:
        return "BODY " + body_structure(text, root, false);
    case K::rfc822:
        return "RFC822 " + literal(text);
    case K::rfc822_header:
        return "RFC822.HEADER " + literal(std::string_view(text).substr(0, root.body_begin));
    case K::rfc822_text:
        return "RFC822.TEXT " + literal(std::string_view(text).substr(root.body_begin));
    case K::section:
        return section_response(text, root, item);
    default:
        return {};
    }
}

bool has_item(std::vector<FetchItem> const& items, FetchItem::Kind kind)
{
    return std::any_of(
        items.begin(), items.end(), [&](FetchItem const& i) { return i.kind == kind; });
}

// True when the items read a body without PEEK, which sets \Seen.
bool reads_body(std::vector<FetchItem> const& items)
{
    using K = FetchItem::Kind;
    return std::any_of(items.begin(), items.end(), [](FetchItem const& i) {
        return (i.kind == K::section && !i.peek) || i.kind == K::rfc822 || i.kind == K::rfc822_text;
    });
}

} // namespace

// ENVELOPE or BODYSTRUCTURE from the cache, computed each time when there is no cache file.
std::string Session::structure_item(Message const& m, FetchItem::Kind kind)
{
    bool const want_envelope = kind == FetchItem::Kind::envelope;
    if (!meta(m))
        return {};
    if (auto const* e = m_cache->find(m.base))
        return want_envelope ? "ENVELOPE " + m_cache->envelope(*e)
                             : "BODYSTRUCTURE " + m_cache->body_structure(*e);
    Loaded const* l = load(m);
    if (!l)
        return {};
    return want_envelope ? "ENVELOPE " + envelope(l->text, l->root)
                         : "BODYSTRUCTURE " + body_structure(l->text, l->root, true);
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
    case K::bodystructure:
        return structure_item(m, item.kind);
    default:
        break;
    }
    Loaded const* l = load(m);
    if (!l)
        return {};
    return content_item(l->text, l->root, item);
}

// The items that come without being asked: UID in UID FETCH; MODSEQ with CHANGEDSINCE
// and, once CONDSTORE is on, with FLAGS (RFC 7162 3.1.4.1).
void Session::complete_fetch_items(FetchArgs& args, bool uid)
{
    using K = FetchItem::Kind;
    if (uid && !has_item(args.items, K::uid))
        args.items.insert(args.items.begin(), FetchItem { K::uid, false, {}, {}, 0 });
    if (args.changed_since || has_item(args.items, K::modseq))
        m_condstore = true;
    if ((args.changed_since || (m_condstore && has_item(args.items, K::flags)))
        && !has_item(args.items, K::modseq))
        args.items.push_back(FetchItem { K::modseq, false, {}, {}, 0 });
}

// Sets \Seen on the messages (by index) that lack it; flags_added[i] becomes report_flags
// for each message changed.
void Session::mark_seen(
    std::vector<size_t> const& indexes, bool report_flags, std::vector<char>& flags_added)
{
    auto const& view = m_folder->messages();
    std::vector<std::pair<size_t, std::string>> changes;
    for (size_t i : indexes) {
        if (view[i].flags.find('S') != std::string::npos || view[i].expunged)
            continue;
        std::string f = view[i].flags + 'S';
        std::sort(f.begin(), f.end());
        changes.emplace_back(i, f);
    }
    if (changes.empty())
        return;
    auto done = m_folder->store(changes);
    if (done)
        for (size_t i : *done)
            flags_added[i] = report_flags;
}

// "* N FETCH (...)\r\n" of the message at index, plus its FLAGS when add_flags; nullopt
// when an item could not be read from the message file.
std::optional<std::string> Session::fetch_line(
    size_t index, std::vector<FetchItem> const& items, bool add_flags)
{
    Message const& m = m_folder->messages()[index];
    std::string line = "* " + std::to_string(index + 1) + " FETCH (";
    bool first = true;
    for (auto const& item : items) {
        std::string part = fetch_item(m, index, item);
        if (part.empty())
            return std::nullopt;
        line += first ? "" : " ";
        line += part;
        first = false;
    }
    if (add_flags)
        line += (first ? "" : " ") + flags_response(m);
    return line + ")\r\n";
}

void Session::cmd_fetch(std::string const& tag, Cursor& c, bool uid)
{
    auto args = parse_fetch(c);
    if (!args)
        return tagged(tag, Reply::bad, "invalid FETCH arguments");
    if (!check_sequence(tag, args->set, uid))
        return;
    complete_fetch_items(*args, uid);
    if (uid && !report_expunges_first(tag))
        return;
    auto indexes = resolve(args->set, uid);
    // Removals and renames by others since the last look; the view only grows, so the
    // indexes stay valid.
    (void)m_folder->sync();
    auto& view = m_folder->messages();
    if (args->changed_since)
        std::erase_if(indexes, [&](size_t i) { return view[i].modseq <= *args->changed_since; });
    std::vector<char> flags_added(view.size(), 0);
    if (!m_read_only && reads_body(args->items))
        mark_seen(indexes, !has_item(args->items, FetchItem::Kind::flags), flags_added);
    bool gone = false; // RFC 2180 4.1.2: the others' data, then NO
    bool unreadable = false;
    for (size_t i : indexes) {
        auto line = view[i].expunged ? std::nullopt : fetch_line(i, args->items, flags_added[i]);
        if (!line) {
            if (!view[i].expunged && m_folder->find_file(view[i].base))
                unreadable = true; // there, but not readable (too big, an I/O error)
            else
                gone = true;
            continue;
        }
        send(*line);
        view[i].flags_changed = false;
    }
    if (gone && !uid) // with UIDs: no longer exists, its EXPUNGE comes before the OK
        return tagged(tag, Reply::no, kExpungeIssued);
    if (unreadable)
        return tagged(tag, Reply::no, "[SERVERBUG] unable to read some of the requested messages");
    tagged(tag, Reply::ok, uid ? "UID FETCH completed" : "FETCH completed");
}

} // namespace imapd
