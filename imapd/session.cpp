#include "session.hpp"

#include "header.hpp"
#include "parser.hpp"

#include <cerrno>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

namespace imapd {

namespace {

char const* reply_word(int reply)
{
    static char const* const kWords[] = { "OK", "NO", "BAD" };
    return kWords[reply];
}

} // namespace

std::string capabilities()
{
    return "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS MOVE UNSELECT "
           "SPECIAL-USE CONDSTORE";
}

Session::Session(Config config, mta::Reader& in, mta::Writer& out)
    : m_config(std::move(config))
    , m_in(in)
    , m_out(out)
    , m_store(m_config.maildir)
{
}

void Session::send(std::string_view text)
{
    if (m_failed)
        return;
    if (!m_out.put(text))
        m_failed = true;
}

void Session::tagged(std::string const& tag, Reply reply, std::string_view text)
{
    if (reply != Reply::bad)
        report_updates(m_allow_expunge);
    send(tag + ' ' + reply_word(static_cast<int>(reply)) + ' ');
    send(text);
    send("\r\n");
}

int Session::run(std::string_view greeting)
{
    (void)m_store.make_special_folders(); // a read-only Maildir still works
    send(greeting);
    m_in.set_timeout(m_config.timeout_ms);
    CommandReader reader(m_in, m_out);
    std::string text;
    while (!m_done && !m_failed) {
        if (!m_out.flush())
            return 111;
        auto got = reader.read(text);
        if (!got) {
            if (got.error().errnum == ETIMEDOUT) {
                send("* BYE autologout: idle for too long\r\n");
                (void)m_out.flush();
            }
            return 111;
        }
        if (*got == ReadStatus::eof)
            return 0;
        if (*got != ReadStatus::command) {
            Cursor c(text);
            auto tag = c.tag();
            std::string const why = *got == ReadStatus::too_long ? "[TOOBIG] command line too long"
                                                                 : "[TOOBIG] literal too big";
            if (tag && c.sp())
                tagged(*tag, Reply::bad, why);
            else
                send("* BAD " + why + "\r\n");
            continue;
        }
        execute(text);
    }
    (void)m_out.flush();
    return m_failed ? 111 : 0;
}

bool Session::execute(std::string const& text)
{
    Cursor c(text);
    auto tag = c.tag();
    if (!tag || !c.sp()) {
        send("* BAD missing tag or command\r\n");
        return !m_done;
    }
    auto verb = c.atom();
    if (!verb) {
        tagged(*tag, Reply::bad, "missing command");
        return !m_done;
    }
    std::string name = upper(*verb);
    bool uid = false;
    if (name == "UID") {
        auto sub = c.sp() ? c.atom() : std::nullopt;
        if (!sub) {
            tagged(*tag, Reply::bad, "UID needs a command");
            return !m_done;
        }
        name = upper(*sub);
        uid = true;
    }
    m_allow_expunge
        = uid || (name != "FETCH" && name != "STORE" && name != "SEARCH" && name != "COPY");
    if (!dispatch(*tag, name, c, uid))
        tagged(*tag, Reply::bad, "unknown command or wrong state");
    return !m_done;
}

bool Session::dispatch(std::string const& tag, std::string const& verb, Cursor& c, bool uid)
{
    bool const selected = m_folder.has_value();
    if (uid)
        return selected && dispatch_uid(tag, verb, c);
    if (dispatch_any_state(tag, verb, c))
        return true;
    return selected && dispatch_selected(tag, verb, c); // else: like an unknown command
}

// UID FETCH, STORE, SEARCH, COPY, MOVE and EXPUNGE (in the selected state).
bool Session::dispatch_uid(std::string const& tag, std::string const& verb, Cursor& c)
{
    if (verb == "FETCH")
        cmd_fetch(tag, c, true);
    else if (verb == "STORE")
        cmd_store(tag, c, true);
    else if (verb == "SEARCH")
        cmd_search(tag, c, true);
    else if (verb == "COPY" || verb == "MOVE")
        cmd_copy(tag, c, true, verb == "MOVE");
    else if (verb == "EXPUNGE")
        cmd_expunge(tag, c, true);
    else
        return false;
    return true;
}

// The commands of the authenticated state (also valid in the selected state).
bool Session::dispatch_any_state(std::string const& tag, std::string const& verb, Cursor& c)
{
    if (verb == "CAPABILITY")
        cmd_capability(tag, c);
    else if (verb == "NOOP")
        cmd_noop(tag, c);
    else if (verb == "LOGOUT")
        cmd_logout(tag, c);
    else if (verb == "SELECT" || verb == "EXAMINE")
        cmd_select(tag, c, verb == "EXAMINE");
    else if (verb == "CREATE")
        cmd_create(tag, c);
    else if (verb == "DELETE")
        cmd_delete(tag, c);
    else if (verb == "RENAME")
        cmd_rename(tag, c);
    else if (verb == "SUBSCRIBE" || verb == "UNSUBSCRIBE")
        cmd_subscribe(tag, c, verb == "SUBSCRIBE");
    else if (verb == "LIST" || verb == "LSUB")
        cmd_list(tag, c, verb == "LSUB");
    else if (verb == "STATUS")
        cmd_status(tag, c);
    else if (verb == "APPEND")
        cmd_append(tag, c);
    else if (verb == "NAMESPACE")
        cmd_namespace(tag, c);
    else if (verb == "ENABLE")
        cmd_enable(tag, c);
    else if (verb == "ID")
        cmd_id(tag, c);
    else if (verb == "IDLE")
        cmd_idle(tag, c);
    else if (verb == "LOGIN" || verb == "AUTHENTICATE" || verb == "STARTTLS")
        tagged(tag, Reply::bad, "already authenticated");
    else
        return false;
    return true;
}

// The commands that need a selected mailbox (without UID).
bool Session::dispatch_selected(std::string const& tag, std::string const& verb, Cursor& c)
{
    if (verb == "CHECK")
        cmd_check(tag, c);
    else if (verb == "CLOSE" || verb == "UNSELECT")
        cmd_close(tag, c, verb == "CLOSE");
    else if (verb == "EXPUNGE")
        cmd_expunge(tag, c, false);
    else if (verb == "SEARCH")
        cmd_search(tag, c, false);
    else if (verb == "FETCH")
        cmd_fetch(tag, c, false);
    else if (verb == "STORE")
        cmd_store(tag, c, false);
    else if (verb == "COPY" || verb == "MOVE")
        cmd_copy(tag, c, false, verb == "MOVE");
    else
        return false;
    return true;
}

std::string Session::flags_response(Message const& m) const
{
    std::string out = "FLAGS (" + m_folder->imap_flags(m.flags);
    if (m.recent)
        out += out.back() == '(' ? "\\Recent" : " \\Recent";
    return out + ')';
}

void Session::report_updates(bool allow_expunge)
{
    if (!m_folder)
        return;
    if (auto st = m_folder->sync(); !st && st.error().errnum == ENOENT) {
        // Deleted (or renamed) by another session: RFC 3501 7.1.5, the session ends.
        send("* BYE the selected mailbox was deleted or renamed\r\n");
        m_done = true;
        deselect();
        return;
    } // other failures show at the next command that needs the disk
    if (allow_expunge) {
        for (size_t index : m_folder->take_expunged()) {
            if (index >= m_exists)
                continue; // never announced: the client does not know it
            send("* " + std::to_string(index + 1) + " EXPUNGE\r\n");
            --m_exists;
        }
    }
    auto& view = m_folder->messages();
    if (view.size() != m_exists) {
        send("* " + std::to_string(view.size()) + " EXISTS\r\n");
        size_t recent = 0;
        for (auto const& m : view)
            recent += m.recent ? 1 : 0;
        send("* " + std::to_string(recent) + " RECENT\r\n");
        m_exists = view.size();
    }
    for (size_t i = 0; i < view.size(); ++i) {
        Message& m = view[i];
        if (!m.flags_changed || m.expunged)
            continue;
        m.flags_changed = false;
        std::string line = "* " + std::to_string(i + 1) + " FETCH (UID " + std::to_string(m.uid)
            + ' ' + flags_response(m);
        if (m_condstore)
            line += " MODSEQ (" + std::to_string(m.modseq) + ')';
        send(line + ")\r\n");
    }
}

void Session::cmd_capability(std::string const& tag, Cursor& c)
{
    if (!c.at_end())
        return tagged(tag, Reply::bad, "CAPABILITY takes no arguments");
    std::string caps = capabilities();
    if (!m_config.capability_extra.empty())
        caps += ' ' + m_config.capability_extra;
    send("* CAPABILITY " + caps + "\r\n");
    tagged(tag, Reply::ok, "CAPABILITY completed");
}

void Session::cmd_noop(std::string const& tag, Cursor& c)
{
    if (!c.at_end())
        return tagged(tag, Reply::bad, "NOOP takes no arguments");
    report_updates(true);
    tagged(tag, Reply::ok, "NOOP completed");
}

void Session::cmd_check(std::string const& tag, Cursor& c)
{
    if (!c.at_end())
        return tagged(tag, Reply::bad, "CHECK takes no arguments");
    report_updates(true);
    tagged(tag, Reply::ok, "CHECK completed");
}

void Session::cmd_logout(std::string const& tag, Cursor& c)
{
    if (!c.at_end())
        return tagged(tag, Reply::bad, "LOGOUT takes no arguments");
    send("* BYE logging out\r\n");
    tagged(tag, Reply::ok, "LOGOUT completed");
    m_done = true;
}

void Session::deselect()
{
    m_folder.reset();
    m_cache.reset();
    m_loaded.reset();
    m_folder_name.clear();
    m_exists = 0;
}

void Session::cmd_select(std::string const& tag, Cursor& c, bool read_only)
{
    auto name = c.sp() ? c.astring() : std::nullopt;
    if (!name)
        return tagged(tag, Reply::bad, "mailbox name expected");
    if (c.sp()) {
        if (!c.eat('(') || !c.keyword("CONDSTORE") || !c.eat(')'))
            return tagged(tag, Reply::bad, "unknown SELECT parameter");
        m_condstore = true;
    }
    if (!c.at_end())
        return tagged(tag, Reply::bad, "junk after mailbox name");
    deselect();
    auto dir = m_store.dir_of(*name);
    if (!dir || !m_store.exists(*name))
        return tagged(tag, Reply::no, "[NONEXISTENT] no such mailbox");
    auto folder = Folder::open(*dir, !read_only);
    if (!folder)
        return tagged(tag, Reply::no, "[SERVERBUG] " + folder.error().text());
    m_folder = std::move(*folder);
    m_read_only = read_only;
    m_folder_name = Store::canonical(*name);
    open_cache(*dir);
    announce_flags(read_only);
    announce_mailbox();
    tagged(tag, Reply::ok,
        read_only ? "[READ-ONLY] EXAMINE completed" : "[READ-WRITE] SELECT completed");
}

// The cache of the folder just selected, without the records of messages gone.
void Session::open_cache(std::string const& dir)
{
    m_cache = std::make_unique<Cache>(dir);
    std::unordered_map<std::string, bool> live;
    for (auto const& m : m_folder->messages())
        live.emplace(m.base, true);
    m_cache->compact(live);
}

// FLAGS and PERMANENTFLAGS of the folder just selected.
void Session::announce_flags(bool read_only)
{
    std::string keywords;
    for (auto const& k : m_folder->keywords())
        if (!k.empty())
            keywords += ' ' + k;
    send("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded" + keywords + ")\r\n");
    send("* OK [PERMANENTFLAGS ("
        + std::string(read_only
                ? ""
                : "\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded" + keywords + " \\*")
        + ")] flags permitted\r\n");
}

// EXISTS, RECENT, UNSEEN, UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ of the folder just
// selected.
void Session::announce_mailbox()
{
    auto const& view = m_folder->messages();
    size_t recent = 0;
    size_t first_unseen = 0;
    for (size_t i = 0; i < view.size(); ++i) {
        recent += view[i].recent ? 1 : 0;
        if (first_unseen == 0 && view[i].flags.find('S') == std::string::npos)
            first_unseen = i + 1;
    }
    m_exists = view.size();
    send("* " + std::to_string(view.size()) + " EXISTS\r\n");
    send("* " + std::to_string(recent) + " RECENT\r\n");
    if (first_unseen)
        send("* OK [UNSEEN " + std::to_string(first_unseen) + "] first unseen\r\n");
    send("* OK [UIDVALIDITY " + std::to_string(m_folder->uidvalidity()) + "] UIDs valid\r\n");
    send("* OK [UIDNEXT " + std::to_string(m_folder->uidnext()) + "] predicted next UID\r\n");
    send("* OK [HIGHESTMODSEQ " + std::to_string(m_folder->highestmodseq()) + "] modseq\r\n");
}

void Session::cmd_create(std::string const& tag, Cursor& c)
{
    auto name = c.sp() ? c.astring() : std::nullopt;
    if (!name || !c.at_end())
        return tagged(tag, Reply::bad, "CREATE needs one mailbox name");
    std::string n = *name;
    if (!n.empty() && n.back() == '.') // "a.b." asks for a parent: a plain folder here
        n.pop_back();
    if (!m_store.dir_of(n))
        return tagged(tag, Reply::no, "[CANNOT] invalid mailbox name");
    auto st = m_store.create(n);
    if (!st && st.error().errnum == EEXIST)
        return tagged(tag, Reply::no, "[ALREADYEXISTS] mailbox already exists");
    if (!st)
        return tagged(tag, Reply::no, "[SERVERBUG] " + st.error().text());
    tagged(tag, Reply::ok, "CREATE completed");
}

void Session::cmd_delete(std::string const& tag, Cursor& c)
{
    auto name = c.sp() ? c.astring() : std::nullopt;
    if (!name || !c.at_end())
        return tagged(tag, Reply::bad, "DELETE needs one mailbox name");
    if (m_folder && Store::canonical(*name) == m_folder_name)
        deselect();
    auto st = m_store.remove(*name);
    if (!st && st.error().errnum == ENOENT)
        return tagged(tag, Reply::no, "[NONEXISTENT] no such mailbox");
    if (!st && st.error().errnum == EPERM)
        return tagged(tag, Reply::no, "[CANNOT] INBOX cannot be deleted");
    if (!st)
        return tagged(tag, Reply::no, "[SERVERBUG] " + st.error().text());
    tagged(tag, Reply::ok, "DELETE completed");
}

void Session::cmd_rename(std::string const& tag, Cursor& c)
{
    auto from = c.sp() ? c.astring() : std::nullopt;
    auto to = from && c.sp() ? c.astring() : std::nullopt;
    if (!to || !c.at_end())
        return tagged(tag, Reply::bad, "RENAME needs two mailbox names");
    if (m_folder && Store::canonical(*from) == m_folder_name)
        deselect();
    auto st = m_store.rename(*from, *to);
    if (!st && st.error().errnum == ENOENT)
        return tagged(tag, Reply::no, "[NONEXISTENT] no such mailbox");
    if (!st && st.error().errnum == EEXIST)
        return tagged(tag, Reply::no, "[ALREADYEXISTS] target mailbox exists");
    if (!st && st.error().errnum == EINVAL)
        return tagged(tag, Reply::no, "[CANNOT] invalid mailbox name");
    if (!st)
        return tagged(tag, Reply::no, "[SERVERBUG] " + st.error().text());
    tagged(tag, Reply::ok, "RENAME completed");
}

void Session::cmd_subscribe(std::string const& tag, Cursor& c, bool on)
{
    auto name = c.sp() ? c.astring() : std::nullopt;
    if (!name || !c.at_end())
        return tagged(tag, Reply::bad, "one mailbox name expected");
    if (!m_store.dir_of(*name))
        return tagged(tag, Reply::no, "[CANNOT] invalid mailbox name");
    if (on && !m_store.exists(*name))
        return tagged(tag, Reply::no, "[NONEXISTENT] no such mailbox");
    if (auto st = m_store.subscribe(*name, on); !st)
        return tagged(tag, Reply::no, "[SERVERBUG] " + st.error().text());
    tagged(tag, Reply::ok, on ? "SUBSCRIBE completed" : "UNSUBSCRIBE completed");
}

void Session::cmd_list(std::string const& tag, Cursor& c, bool lsub)
{
    auto reference = c.sp() ? c.astring() : std::nullopt;
    auto pattern = reference && c.sp() ? c.list_mailbox() : std::nullopt;
    if (!pattern || !c.at_end())
        return tagged(tag, Reply::bad, "reference and mailbox pattern expected");
    char const* word = lsub ? "LSUB" : "LIST";
    if (pattern->empty()) {
        send(std::string("* ") + word + " (\\Noselect) \".\" \"\"\r\n");
        return tagged(tag, Reply::ok, std::string(word) + " completed");
    }
    auto entries = m_store.list(*reference, *pattern);
    if (lsub) {
        auto subs = m_store.subscriptions();
        for (auto const& s : subs) {
            if (!list_match(s, *reference + *pattern))
                continue;
            std::string attrs = m_store.exists(s) ? "" : "\\Noselect";
            send("* LSUB (" + attrs + ") \".\" " + quote(s) + "\r\n");
        }
    } else {
        for (auto const& e : entries)
            send("* LIST (" + e.attributes + ") \".\" " + quote(e.name) + "\r\n");
    }
    tagged(tag, Reply::ok, std::string(word) + " completed");
}

void Session::cmd_status(std::string const& tag, Cursor& c)
{
    auto name = c.sp() ? c.astring() : std::nullopt;
    if (!name || !c.sp() || !c.eat('('))
        return tagged(tag, Reply::bad, "STATUS mailbox (items) expected");
    std::vector<std::string> items;
    while (true) {
        auto item = c.atom();
        if (!item)
            return tagged(tag, Reply::bad, "status item expected");
        items.push_back(upper(*item));
        if (c.eat(')'))
            break;
        if (!c.sp())
            return tagged(tag, Reply::bad, "status items expected");
    }
    if (!c.at_end())
        return tagged(tag, Reply::bad, "junk after STATUS items");
    for (auto const& i : items)
        if (i != "MESSAGES" && i != "RECENT" && i != "UIDNEXT" && i != "UIDVALIDITY"
            && i != "UNSEEN" && i != "HIGHESTMODSEQ")
            return tagged(tag, Reply::bad, "unknown status item " + i);
    auto dir = m_store.dir_of(*name);
    if (!dir || !m_store.exists(*name))
        return tagged(tag, Reply::no, "[NONEXISTENT] no such mailbox");
    auto st = folder_status(*dir);
    if (!st)
        return tagged(tag, Reply::no, "[SERVERBUG] " + st.error().text());
    std::string out;
    for (auto const& i : items) {
        uint64_t v = i == "MESSAGES" ? st->messages
            : i == "RECENT"          ? st->recent
            : i == "UIDNEXT"         ? st->uidnext
            : i == "UIDVALIDITY"     ? st->uidvalidity
            : i == "UNSEEN"          ? st->unseen
                                     : st->highestmodseq;
        out += (out.empty() ? "" : " ") + i + ' ' + std::to_string(v);
    }
    send("* STATUS " + quote(Store::canonical(*name)) + " (" + out + ")\r\n");
    tagged(tag, Reply::ok, "STATUS completed");
}

void Session::cmd_namespace(std::string const& tag, Cursor& c)
{
    if (!c.at_end())
        return tagged(tag, Reply::bad, "NAMESPACE takes no arguments");
    send("* NAMESPACE ((\"\" \".\")) NIL NIL\r\n");
    tagged(tag, Reply::ok, "NAMESPACE completed");
}

void Session::cmd_enable(std::string const& tag, Cursor& c)
{
    std::string enabled;
    if (!c.sp())
        return tagged(tag, Reply::bad, "ENABLE needs capabilities");
    while (true) {
        auto cap = c.atom();
        if (!cap)
            return tagged(tag, Reply::bad, "capability name expected");
        if (upper(*cap) == "CONDSTORE") {
            m_condstore = true;
            enabled = " CONDSTORE";
        }
        if (c.at_end())
            break;
        if (!c.sp())
            return tagged(tag, Reply::bad, "capability names expected");
    }
    send("* ENABLED" + enabled + "\r\n");
    tagged(tag, Reply::ok, "ENABLE completed");
}

void Session::cmd_id(std::string const& tag, Cursor& c)
{
    if (!c.sp())
        return tagged(tag, Reply::bad, "ID needs a parameter list or NIL");
    if (!c.keyword("NIL")) {
        if (!c.eat('('))
            return tagged(tag, Reply::bad, "ID parameter list expected");
        for (int n = 0; !c.eat(')'); ++n) {
            if ((n > 0 && !c.sp()) || !c.string() || !c.sp())
                return tagged(tag, Reply::bad, "ID field and value expected");
            if (!c.keyword("NIL") && !c.string())
                return tagged(tag, Reply::bad, "ID value expected");
            if (n >= 30)
                return tagged(tag, Reply::bad, "too many ID fields");
        }
    }
    if (!c.at_end())
        return tagged(tag, Reply::bad, "junk after ID");
    send("* ID (\"name\" \"mail-suite imapd\")\r\n");
    tagged(tag, Reply::ok, "ID completed");
}

void Session::cmd_close(std::string const& tag, Cursor& c, bool expunge)
{
    if (!c.at_end())
        return tagged(tag, Reply::bad, "no arguments expected");
    if (expunge && !m_read_only) {
        std::vector<size_t> deleted;
        auto const& view = m_folder->messages();
        for (size_t i = 0; i < view.size(); ++i)
            if (view[i].flags.find('T') != std::string::npos)
                deleted.push_back(i);
        if (!deleted.empty())
            (void)m_folder->expunge(deleted); // CLOSE reports nothing, even failures
    }
    deselect();
    tagged(tag, Reply::ok, expunge ? "CLOSE completed" : "UNSELECT completed");
}

void Session::cmd_idle(std::string const& tag, Cursor& c)
{
    if (!c.at_end())
        return tagged(tag, Reply::bad, "IDLE takes no arguments");
    mta::Fd const notify = watch_folder();
    send("+ idling\r\n");
    int waited_ms = 0;
    while (!m_failed) {
        report_updates(true);
        if (m_done)
            return;
        if (!m_out.flush()) {
            m_failed = true;
            return;
        }
        IdleWake const wake = m_in.has_buffered() ? IdleWake::input : idle_wait(notify, waited_ms);
        if (wake == IdleWake::input)
            return end_idle(tag);
        if (wake == IdleWake::end)
            return;
    }
}

// An inotify descriptor on the selected folder's new/ and cur/ (not valid without one).
mta::Fd Session::watch_folder()
{
    mta::Fd notify(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (m_folder && notify.valid()) {
        for (char const* sub : { "/new", "/cur" })
            (void)::inotify_add_watch(notify.get(), (m_folder->dir() + sub).c_str(),
                IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB);
    }
    return notify;
}

// Waits up to a slice for input from the client or a change in the folder. end: the
// session is over (a poll error, or idle too long: "* BYE" sent).
Session::IdleWake Session::idle_wait(mta::Fd const& notify, int& waited_ms)
{
    struct pollfd fds[2] = { { m_in.fd(), POLLIN, 0 }, { notify.get(), POLLIN, 0 } };
    int const slice = 5000; // a periodic look, in case a change was not notified
    int n = ::poll(fds, notify.valid() ? 2 : 1, slice);
    if (n == -1 && errno != EINTR) {
        m_failed = true;
        return IdleWake::end;
    }
    if (n == 0) {
        waited_ms += slice;
        if (waited_ms < m_config.idle_timeout_ms)
            return IdleWake::again;
        send("* BYE autologout: idle for too long\r\n");
        m_done = true;
        return IdleWake::end;
    }
    if (n > 0 && notify.valid() && (fds[1].revents & POLLIN)) {
        char buf[4096];
        while (::read(notify.get(), buf, sizeof buf) > 0) { }
    }
    if (n <= 0 || !(fds[0].revents & (POLLIN | POLLHUP | POLLERR)))
        return IdleWake::again;
    return IdleWake::input;
}

// The line that ends IDLE: "DONE", or BAD for anything else.
void Session::end_idle(std::string const& tag)
{
    std::string line;
    auto got = m_in.get_line(line, 1000);
    if (!got || *got == mta::LineStatus::eof || *got == mta::LineStatus::partial) {
        m_done = true;
        return;
    }
    if (*got == mta::LineStatus::too_long)
        (void)m_in.skip_line();
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    if (upper(line) == "DONE")
        return tagged(tag, Reply::ok, "IDLE terminated");
    tagged(tag, Reply::bad, "expected DONE");
}

} // namespace imapd
