#include "queue_list.hpp"

#include "retry.hpp"

#include "auto_conf.hpp"
#include "buffer.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "fd.hpp"
#include "log.hpp"
#include "queue_paths.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fcntl.h>
#include <functional>
#include <set>
#include <sys/stat.h>
#include <tuple>
#include <unistd.h>

namespace admin {

namespace {

// Longer than any address the queue accepts (1,002 bytes) plus rewriting by send.
constexpr size_t kMaxRecord = 65536;

// What failed while reading one kind of queue file (Error texts are static).
struct FileKind {
    std::string_view dir;
    const char* unreadable;
    const char* truncated;
};
constexpr FileKind kTodo { mta::kTodoDir, "unable to read todo/N", "truncated record in todo/N" };
constexpr FileKind kInfo { mta::kInfoDir, "unable to read info/N", "truncated record in info/N" };
constexpr FileKind kLocal { mta::kLocalDir, "unable to read local/N",
    "truncated record in local/N" };
constexpr FileKind kRemote { mta::kRemoteDir, "unable to read remote/N",
    "truncated record in remote/N" };

// QUEUE/DIR/(N % kSplit)/N
std::string path_of(std::string const& queue, std::string_view dir, unsigned long id)
{
    return queue + "/" + mta::hashed_path(dir, id);
}

// Calls fn with each NUL-terminated record of queue/KIND/N%S/N. False: no such file.
mta::Result<bool> for_each_record(std::string const& queue, FileKind const& kind, unsigned long id,
    std::function<void(std::string_view)> const& fn)
{
    auto fd = mta::open_read(path_of(queue, kind.dir, id));
    if (!fd) {
        if (fd.error().errnum == ENOENT)
            return false;
        return mta::Error { fd.error().errnum, kind.unreadable };
    }
    mta::Reader in(fd->get());
    std::string record;
    for (;;) {
        auto got = in.get_line(record, kMaxRecord, '\0');
        if (!got)
            return mta::Error { got.error().errnum, kind.unreadable };
        if (*got == mta::LineStatus::eof)
            return true;
        if (*got != mta::LineStatus::line)
            return mta::Error::plain(kind.truncated);
        fn(record);
    }
}

// The sender and recipients of todo/N: u, p, F and T records (others are ignored).
mta::Result<bool> read_todo(std::string const& queue, QueuedMessage& m)
{
    m.preprocessed = false;
    return for_each_record(queue, kTodo, m.id, [&](std::string_view r) {
        if (r.starts_with('F'))
            m.sender = r.substr(1);
        else if (r.starts_with('T'))
            m.recipients.push_back({ Channel::unsorted, false, std::string(r.substr(1)) });
    });
}

mta::Result<bool> read_channel(
    std::string const& queue, FileKind const& kind, Channel channel, QueuedMessage& m)
{
    struct stat st;
    if (::stat(path_of(queue, kind.dir, m.id).c_str(), &st) == 0)
        m.channel_mtime[channel == Channel::local ? 0 : 1] = st.st_mtime;
    return for_each_record(queue, kind, m.id, [&](std::string_view r) {
        if (r.starts_with('T') || r.starts_with('D'))
            m.recipients.push_back({ channel, r[0] == 'D', std::string(r.substr(1)) });
    });
}

// info/N (sender, arrival time), then local/N and remote/N when they exist.
mta::Result<bool> read_preprocessed(std::string const& queue, QueuedMessage& m)
{
    m.preprocessed = true;
    struct stat st;
    if (::stat(path_of(queue, mta::kInfoDir, m.id).c_str(), &st) == -1) {
        if (errno == ENOENT)
            return false;
        return mta::Error::from_errno(kInfo.unreadable);
    }
    m.arrived = st.st_mtime;
    bool have_sender = false;
    auto info = for_each_record(queue, kInfo, m.id, [&](std::string_view r) {
        if (r.starts_with('F') && !have_sender) {
            m.sender = r.substr(1);
            have_sender = true;
        }
    });
    if (!info || !*info)
        return info;
    if (!have_sender)
        return mta::Error::plain("no sender record in info/N");
    for (auto [kind, channel] :
        { std::pair { &kLocal, Channel::local }, std::pair { &kRemote, Channel::remote } })
        if (auto r = read_channel(queue, *kind, channel, m); !r)
            return r.error();
    return true;
}

const char* channel_state(QueuedRecipient const& r)
{
    switch (r.channel) {
    case Channel::local:
        return r.done ? "local done" : "local pending";
    case Channel::remote:
        return r.done ? "remote done" : "remote pending";
    case Channel::unsorted:
        break;
    }
    return r.done ? "done" : "pending";
}

} // namespace

mta::Result<std::vector<unsigned long>> queued_ids(std::string const& queue)
{
    std::set<unsigned long> ids;
    for (auto dir : { mta::kInfoDir, mta::kTodoDir }) {
        for (int i = 0; i < mta::conf::kSplit; ++i) {
            auto names = mta::list_directory(queue + "/" + mta::hashed_dir(dir, unsigned(i)));
            if (!names)
                return names.error();
            for (auto const& name : *names)
                if (auto id = mta::parse_message_number(name))
                    ids.insert(*id);
        }
    }
    return std::vector<unsigned long>(ids.begin(), ids.end());
}

std::optional<time_t> arrival_time(std::string const& queue, unsigned long id)
{
    struct stat st;
    bool todo = ::stat(path_of(queue, mta::kTodoDir, id).c_str(), &st) == 0;
    std::string from = path_of(queue, todo ? mta::kMessDir : mta::kInfoDir, id);
    if (::stat(from.c_str(), &st) == -1)
        return std::nullopt;
    return st.st_mtime;
}

mta::Result<std::optional<QueuedMessage>> read_queued(std::string const& queue, unsigned long id)
{
    QueuedMessage m;
    m.id = id;
    struct stat st;
    if (::stat(path_of(queue, mta::kMessDir, id).c_str(), &st) == -1) {
        if (errno != ENOENT)
            return mta::Error::from_errno("unable to stat mess/N");
        // send removes info/N before mess/N: info without mess is damage, not a race.
        struct stat info;
        if (::stat(path_of(queue, mta::kInfoDir, id).c_str(), &info) == 0)
            return mta::Error::plain("info/N without mess/N");
        return std::optional<QueuedMessage>();
    }
    m.size = st.st_size;
    m.arrived = st.st_mtime;
    auto found = read_todo(queue, m);
    if (found && !*found) // preprocessed meanwhile, or never in todo/
        found = read_preprocessed(queue, m);
    if (!found)
        return found.error();
    if (!*found)
        return std::optional<QueuedMessage>();
    m.bouncing = ::stat((queue + "/" + mta::flat_path(mta::kBounceDir, id)).c_str(), &st) == 0;
    return std::optional<QueuedMessage>(std::move(m));
}

void QueueStats::add(QueuedMessage const& message)
{
    ++messages;
    if (!message.preprocessed)
        ++not_preprocessed;
    for (auto const& r : message.recipients) {
        if (r.done)
            continue;
        switch (r.channel) {
        case Channel::local:
            ++local_pending;
            break;
        case Channel::remote:
            ++remote_pending;
            break;
        case Channel::unsorted:
            ++unsorted_pending;
            break;
        }
    }
}

std::string quote_address(std::string_view address)
{
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "<";
    for (char ch : address) {
        auto c = static_cast<unsigned char>(ch);
        if (c > 0x20 && c < 0x7f && c != '\\') {
            out += ch;
        } else {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    out += '>';
    return out;
}

std::string utc_time(time_t when)
{
    struct tm tm;
    char buf[64];
    if (!::gmtime_r(&when, &tm) || std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return "?";
    return buf;
}

time_t next_attempt(time_t birth, time_t channel_mtime, time_t now, time_t skip)
{
    if (channel_mtime > now)
        return channel_mtime;
    return mta::next_on_schedule(birth, now, skip);
}

std::string format_message(QueuedMessage const& m, time_t now)
{
    std::string out = "msg " + std::to_string(m.id) + " arrived " + utc_time(m.arrived) + " age "
        + std::to_string(now > m.arrived ? now - m.arrived : 0) + " size " + std::to_string(m.size)
        + " from " + quote_address(m.sender);
    for (auto [channel, name, skip] : { std::tuple { Channel::local, "local", 10 },
             std::tuple { Channel::remote, "remote", 20 } }) {
        bool pending = false;
        for (auto const& r : m.recipients)
            pending = pending || (r.channel == channel && !r.done);
        if (pending && m.preprocessed)
            out += std::string(" next ") + name + " "
                + utc_time(next_attempt(
                    m.arrived, m.channel_mtime[channel == Channel::local ? 0 : 1], now, skip));
    }
    if (m.bouncing)
        out += " bouncing";
    if (!m.preprocessed)
        out += " not yet preprocessed";
    out += '\n';
    for (auto const& r : m.recipients) {
        out += "  ";
        out += channel_state(r);
        out += ' ';
        out += quote_address(r.address);
        out += '\n';
    }
    return out;
}

std::string format_stats(QueueStats const& s)
{
    return "messages in queue: " + std::to_string(s.messages) + "\n"
        + "messages not yet preprocessed: " + std::to_string(s.not_preprocessed) + "\n"
        + "local recipients pending: " + std::to_string(s.local_pending) + "\n"
        + "remote recipients pending: " + std::to_string(s.remote_pending) + "\n"
        + "recipients not yet preprocessed: " + std::to_string(s.unsorted_pending) + "\n";
}

namespace {

// Every queue folder the listing reads must be readable and searchable: a listing is
// either whole or one line saying why not.
void check_readable(std::string const& queue)
{
    for (const char* dir : { "mess", "todo", "info", "local", "remote", "bounce" }) {
        std::string path = queue + "/" + dir;
        if (::faccessat(AT_FDCWD, path.c_str(), R_OK | X_OK, AT_EACCESS) == 0)
            continue;
        if (errno == EACCES)
            mta::log::fatal(mta::kExitTemp,
                "listing the queue needs root (" + path + " is not readable by uid "
                    + std::to_string(::geteuid()) + ")");
        mta::log::fatal(mta::kExitTemp, "unable to read " + path, mta::Error::from_errno("access"));
    }
}

// The ids, oldest arrival first (then by number); messages that left are dropped.
std::vector<unsigned long> by_arrival(std::string const& queue, std::vector<unsigned long> ids)
{
    std::vector<std::pair<time_t, unsigned long>> order;
    for (auto id : ids)
        if (auto when = arrival_time(queue, id))
            order.emplace_back(*when, id);
    std::sort(order.begin(), order.end());
    ids.clear();
    for (auto const& entry : order)
        ids.push_back(entry.second);
    return ids;
}

} // namespace

int run_queue(std::string const& root, Args const& args)
{
    if (wants_help(args))
        return print_help("queue");
    bool const stats_only = args.size() == 1 && args[0] == "--stats";
    if (!args.empty() && !stats_only)
        mta::log::fatal(mta::kExitPerm, "usage: mailctl queue [--stats]");
    std::string const queue = root + "/queue";
    check_readable(queue);
    auto ids = queued_ids(queue);
    if (!ids)
        mta::log::fatal(mta::kExitTemp, "unable to list " + queue, ids.error());
    time_t const now = ::time(nullptr);
    QueueStats stats;
    bool trouble = false;
    for (auto id : stats_only ? *ids : by_arrival(queue, *ids)) {
        auto message = read_queued(queue, id);
        if (!message) {
            std::fflush(stdout);
            mta::log::warn("trouble with message " + std::to_string(id), message.error());
            trouble = true;
        } else if (*message) {
            stats.add(**message);
            if (!stats_only)
                std::fputs(format_message(**message, now).c_str(), stdout);
        }
    }
    if (stats_only)
        std::fputs(format_stats(stats).c_str(), stdout);
    if (std::fflush(stdout) != 0 || std::ferror(stdout))
        mta::log::fatal(
            mta::kExitTemp, "unable to write the listing", mta::Error::from_errno("write"));
    return trouble ? mta::kExitTemp : mta::kExitOk;
}

} // namespace admin
