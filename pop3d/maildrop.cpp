#include "maildrop.hpp"

#include "command.hpp"
#include "fd.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pop3d {

namespace {

constexpr time_t kTmpLifetime = time_t { 36 } * 3600;
// Look-ups of a renamed message before giving up (it may be renamed again meanwhile).
constexpr int kLookups = 3;

void clean_tmp(std::string const& dir)
{
    auto names = mta::list_directory(dir + "/tmp");
    if (!names)
        return;
    time_t const now = ::time(nullptr);
    for (auto const& name : *names) {
        std::string const path = dir + "/tmp/" + name;
        struct stat st;
        if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)
            && st.st_atime + kTmpLifetime < now)
            (void)::unlink(path.c_str());
    }
}

std::string octets(std::vector<Message> const& messages, size_t& count)
{
    uint64_t total = 0;
    count = 0;
    for (auto const& m : messages)
        if (!m.deleted) {
            ++count;
            total += m.size;
        }
    return std::to_string(total);
}

// Where send_message's conversion stands between two reads of the file.
struct WireState {
    bool line_start = true;
    bool in_header = true;
    char previous = '\n';
    long long lines_left = -1; // TOP: body lines still to send
    bool done = false; // TOP: the last line asked for is sent
};

// Appends n bytes of a message to chunk as POP3 sends them: LF as CRLF, dot-stuffed.
// With top, stops at the first body line past state.lines_left.
void append_wire_form(char const* buf, size_t n, bool top, WireState& state, std::string& chunk)
{
    size_t i = 0;
    while (i < n) {
        bool const at_start = state.line_start;
        if (at_start) {
            if (top && !state.in_header && state.lines_left-- <= 0) {
                state.done = true;
                return;
            }
            if (buf[i] == '.')
                chunk += '.';
        }
        auto const* found = static_cast<char const*>(std::memchr(buf + i, '\n', n - i));
        size_t const end = found ? size_t(found - buf) : n;
        if (end > i) {
            chunk.append(buf + i, end - i);
            state.previous = buf[end - 1];
            state.line_start = false;
        }
        if (!found)
            return;
        if (state.previous != '\r')
            chunk += '\r';
        chunk += '\n';
        state.previous = '\n';
        // the empty line (LF or CRLF) ends the header
        if (at_start && (end == i || (end == i + 1 && buf[i] == '\r')))
            state.in_header = false;
        state.line_start = true;
        i = end + 1;
    }
}

} // namespace

mta::Result<std::vector<Message>> scan_maildir(std::string const& dir)
{
    clean_tmp(dir);
    std::vector<Message> out;
    for (const char* sub : { "new", "cur" }) {
        auto names = mta::list_directory(dir + "/" + sub);
        if (!names)
            return names.error();
        for (auto& name : *names) {
            if (name[0] == '.')
                continue;
            Message m;
            m.path = std::string(sub) + "/" + name;
            struct stat st;
            if (::stat((dir + "/" + m.path).c_str(), &st) == -1 || !S_ISREG(st.st_mode))
                continue;
            m.uid = name.substr(0, name.find(':'));
            m.size = static_cast<uint64_t>(st.st_size);
            m.mtime = st.st_mtime;
            out.push_back(std::move(m));
        }
    }
    std::sort(out.begin(), out.end(), [](Message const& a, Message const& b) {
        return a.mtime != b.mtime ? a.mtime < b.mtime : a.uid < b.uid;
    });
    return out;
}

mta::Status send_message(int fd, mta::Writer& out, long long body_lines)
{
    char buf[65536];
    std::string chunk;
    chunk.reserve(sizeof buf + sizeof buf / 2);
    WireState state;
    state.lines_left = body_lines;
    while (!state.done) {
        ssize_t got = ::read(fd, buf, sizeof buf);
        if (got == -1 && errno == EINTR)
            continue;
        if (got == -1)
            return mta::Error::from_errno("unable to read message");
        if (got == 0)
            break;
        chunk.clear();
        append_wire_form(buf, size_t(got), body_lines >= 0, state, chunk);
        if (auto st = out.put(chunk); !st)
            return st;
    }
    if (!state.line_start)
        if (auto st = out.put("\r\n"); !st)
            return st;
    return out.put(".\r\n");
}

Maildrop::Maildrop(std::string dir, std::vector<Message> messages, mta::Writer& out)
    : m_dir(std::move(dir))
    , m_messages(std::move(messages))
    , m_out(out)
{
}

std::string Maildrop::greeting() const
{
    size_t count = 0;
    std::string const total = octets(m_messages, count);
    return "+OK maildrop has " + std::to_string(count) + " messages (" + total + " octets)\r\n";
}

mta::Status Maildrop::reply(std::string const& text)
{
    return m_out.put(text);
}

Message* Maildrop::message_arg(std::string_view arg, mta::Status& st)
{
    auto n = parse_number(arg);
    if (!n) {
        st = reply("-ERR invalid message number: " + std::string(arg.substr(0, 40)) + "\r\n");
        return nullptr;
    }
    if (*n == 0) {
        st = reply("-ERR messages are numbered from 1\r\n");
        return nullptr;
    }
    if (*n > m_messages.size()) {
        st = reply("-ERR no such message: there are only " + std::to_string(m_messages.size())
            + " messages\r\n");
        return nullptr;
    }
    Message& m = m_messages[*n - 1];
    if (m.deleted) {
        st = reply("-ERR message " + std::to_string(*n) + " is deleted\r\n");
        return nullptr;
    }
    return &m;
}

mta::Status Maildrop::stat()
{
    size_t count = 0;
    std::string const total = octets(m_messages, count);
    return reply("+OK " + std::to_string(count) + " " + total + "\r\n");
}

mta::Status Maildrop::list(bool uidl, bool has_arg, std::string const& arg)
{
    if (has_arg) {
        mta::Status st;
        Message const* m = message_arg(arg, st);
        if (!m)
            return st;
        size_t const n = size_t(m - m_messages.data()) + 1;
        return reply(
            "+OK " + std::to_string(n) + " " + (uidl ? m->uid : std::to_string(m->size)) + "\r\n");
    }
    if (auto st = reply(uidl ? "+OK unique-id listing follows\r\n" : greeting()); !st)
        return st;
    std::string line;
    for (size_t i = 0; i < m_messages.size(); ++i) {
        Message const& m = m_messages[i];
        if (m.deleted)
            continue;
        line = std::to_string(i + 1);
        line += ' ';
        line += uidl ? m.uid : std::to_string(m.size);
        line += "\r\n";
        if (auto st = m_out.put(line); !st)
            return st;
    }
    return reply(".\r\n");
}

// Base name -> "cur/NAME:INFO" or "new/NAME" for every file now in the Maildir.
int Maildrop::scan_names()
{
    m_where.clear();
    m_scanned = false;
    for (const char* sub : { "new", "cur" }) { // cur/ last: it wins a duplicate
        auto names = mta::list_directory(m_dir + "/" + sub);
        if (!names)
            return names.error().errnum ? names.error().errnum : EIO;
        for (auto& name : *names)
            if (name[0] != '.')
                m_where[name.substr(0, name.find(':'))] = std::string(sub) + "/" + name;
    }
    m_scanned = true;
    return 0;
}

// Points m.path at the file that now holds m's base name: 0, ENOENT when there is none,
// or the scan's errno. An earlier scan serves while it knows a path other than the
// stale one; else the directories are read again.
int Maildrop::relocate(Message& m)
{
    bool fresh = false;
    if (!m_scanned) {
        if (int err = scan_names())
            return err;
        fresh = true;
    }
    auto it = m_where.find(m.uid);
    if (!fresh && (it == m_where.end() || it->second == m.path)) {
        if (int err = scan_names())
            return err;
        it = m_where.find(m.uid);
    }
    if (it == m_where.end())
        return ENOENT;
    m.path = it->second;
    return 0;
}

template <typename Op> int Maildrop::on_file(Message& m, Op op)
{
    int err = op(m_dir + "/" + m.path);
    for (int i = 0; err == ENOENT && i < kLookups; ++i) {
        if (int found = relocate(m))
            return found;
        err = op(m_dir + "/" + m.path);
    }
    return err;
}

mta::Status Maildrop::retr(std::string const& arg, bool top)
{
    auto args = split_args(arg);
    if (arg.empty() || args.size() != (top ? 2u : 1u))
        return reply(top ? "-ERR syntax error: TOP message lines\r\n"
                         : "-ERR syntax error: RETR message\r\n");
    long long lines = -1;
    if (top) {
        auto n = parse_number(args[1]);
        if (!n)
            return reply("-ERR invalid line count: " + std::string(args[1].substr(0, 40)) + "\r\n");
        lines = static_cast<long long>(*n);
    }
    mta::Status st;
    Message* m = message_arg(args[0], st);
    if (!m)
        return st;
    mta::Fd fd;
    int const err = on_file(*m, [&fd](std::string const& path) {
        fd = mta::Fd(::open(path.c_str(), O_RDONLY | O_NOCTTY | O_CLOEXEC));
        return fd.valid() ? 0 : errno;
    });
    if (err)
        return reply("-ERR [SYS/TEMP] unable to read the message; it may have been removed\r\n");
    if (auto ok = reply(top ? "+OK top of message follows\r\n"
                            : "+OK " + std::to_string(m->size) + " octets\r\n");
        !ok)
        return ok;
    return send_message(fd.get(), m_out, lines);
}

mta::Status Maildrop::quit()
{
    // RFC 1939 section 6: -ERR when some deleted message is still there. One that is
    // in neither cur/ nor new/ any more (another session expunged it) is removed.
    bool all = true;
    for (auto& m : m_messages) {
        if (m.deleted) {
            int const err = on_file(
                m, [](std::string const& path) { return ::unlink(path.c_str()) == 0 ? 0 : errno; });
            if (err && err != ENOENT)
                all = false;
        } else if (m.path.compare(0, 4, "new/") == 0) {
            // ENOENT: a reader already moved it to cur/
            std::string const target = m_dir + "/cur/" + m.path.substr(4) + ":2,";
            (void)::rename((m_dir + "/" + m.path).c_str(), target.c_str());
        }
    }
    return reply(all ? "+OK bye\r\n" : "-ERR [SYS/TEMP] unable to remove all deleted messages\r\n");
}

mta::Status Maildrop::no_arg(const char* name)
{
    return reply(std::string("-ERR syntax error: ") + name + " takes no argument\r\n");
}

mta::Status Maildrop::dele(std::string const& arg)
{
    mta::Status st;
    Message* m = message_arg(arg, st);
    if (!m)
        return st;
    m->deleted = true;
    return reply("+OK message " + arg + " deleted\r\n");
}

mta::Status Maildrop::rset()
{
    for (auto& m : m_messages)
        m.deleted = false;
    return reply(greeting());
}

// Every command but a QUIT without argument (handle_line's).
mta::Status Maildrop::run(Command const& c)
{
    switch (c.verb) {
    case Verb::empty:
        return reply("-ERR empty command\r\n");
    case Verb::unknown:
        return reply("-ERR unknown command\r\n");
    case Verb::user:
    case Verb::pass:
    case Verb::apop:
    case Verb::auth:
    case Verb::stls:
        return reply("-ERR already logged in\r\n");
    case Verb::capa:
        return c.has_arg ? no_arg("CAPA")
                         : reply("+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\n"
                                 "PIPELINING\r\nIMPLEMENTATION mail-suite\r\n.\r\n");
    case Verb::noop:
        return c.has_arg ? no_arg("NOOP") : reply("+OK\r\n");
    case Verb::stat:
        return c.has_arg ? no_arg("STAT") : stat();
    case Verb::list:
        return list(false, c.has_arg, c.arg);
    case Verb::uidl:
        return list(true, c.has_arg, c.arg);
    case Verb::retr:
        return retr(c.arg, false);
    case Verb::top:
        return retr(c.arg, true);
    case Verb::dele:
        return dele(c.arg);
    case Verb::rset:
        return c.has_arg ? no_arg("RSET") : rset();
    case Verb::quit:
        return no_arg("QUIT");
    }
    return {};
}

mta::Result<bool> Maildrop::handle_line(std::string_view line)
{
    Command const c = parse_command(line);
    if (c.verb == Verb::quit && !c.has_arg) {
        if (auto q = quit(); !q)
            return q.error();
        return false;
    }
    if (auto st = run(c); !st)
        return st.error();
    return true;
}

} // namespace pop3d
