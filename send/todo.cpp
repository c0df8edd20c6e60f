#include "todo.hpp"

#include "auto_conf.hpp"
#include "buffer.hpp"
#include "fd.hpp"
#include "queue_paths.hpp"

#include <fcntl.h>
#include <optional>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace send {

namespace {

constexpr size_t kMaxRecord = 4096; // an address is at most 1,002 bytes in the queue

// A message being preprocessed: the files it has so far.
struct Open {
    unsigned long id = 0;
    mta::Fd info;
    mta::Fd channel[kChannels];
};

unsigned long leading_number(std::string_view text)
{
    return mta::parse_message_number(text).value_or(0);
}

// The writers of a message's channel files, each made when its first recipient comes.
using ChannelWriters = std::optional<mta::Writer>[kChannels];

// The F record into info/N, and its log line; false after a warning.
bool copy_sender(mta::Writer& info, std::string const& record, unsigned long id, off_t size,
    unsigned long pid, unsigned long uid, ActivityLog& log)
{
    if (!info.put(std::string_view(record.data(), record.size() + 1))) {
        log.line("warning: trouble writing to " + mta::hashed_path(mta::kInfoDir, id));
        return false;
    }
    std::string_view const value = std::string_view(record).substr(1);
    log.line("info msg " + number(id) + ": bytes " + number(static_cast<unsigned long>(size))
        + " from <" + log_safe(value) + "> qp " + number(pid) + " uid " + number(uid));
    return true;
}

// A T record, rewritten, into the file of its channel; false after a warning.
bool copy_recipient(
    std::string_view value, Open& m, ChannelWriters& out, Routing const& routing, ActivityLog& log)
{
    Route const route = rewrite(routing, value);
    int const c = index_of(route.channel);
    std::string const path = channel_path(route.channel, m.id);
    if (!out[c]) {
        auto fd = mta::open_excl(path, 0600);
        if (!fd) {
            log.line("warning: unable to create " + path);
            return false;
        }
        m.channel[c] = std::move(*fd);
        out[c].emplace(m.channel[c].get());
    }
    std::string line = "T" + route.address;
    line += '\0';
    if (!out[c]->put(line)) {
        log.line("warning: trouble writing to " + path);
        return false;
    }
    return true;
}

// What the writers still hold, out to info/N and the channel files; false after a warning.
bool flush_all(mta::Writer& info, ChannelWriters& out, unsigned long id, ActivityLog& log)
{
    if (!info.flush()) {
        log.line("warning: trouble writing to " + mta::hashed_path(mta::kInfoDir, id));
        return false;
    }
    for (Channel c : kAllChannels)
        if (out[index_of(c)] && !out[index_of(c)]->flush()) {
            log.line("warning: trouble writing to " + channel_path(c, id));
            return false;
        }
    return true;
}

// The records of todo/N into the files of m; false after a warning.
bool copy_records(mta::Reader& in, Open& m, off_t size, Routing const& routing, ActivityLog& log)
{
    std::string const todo = mta::hashed_path(mta::kTodoDir, m.id);
    mta::Writer info(m.info.get());
    ChannelWriters out;
    unsigned long uid = 0, pid = 0;
    bool have_sender = false;
    std::string record;
    for (;;) {
        auto got = in.get_line(record, kMaxRecord, '\0');
        if (!got || *got == mta::LineStatus::too_long) {
            log.line("warning: trouble reading " + todo);
            return false;
        }
        if (*got != mta::LineStatus::line)
            break; // the end (a last record without its NUL is ignored, as qmail)
        char const type = record.empty() ? '\0' : record[0];
        std::string_view const value = std::string_view(record).substr(record.empty() ? 0 : 1);
        if (type == 'u') {
            uid = leading_number(value);
        } else if (type == 'p') {
            pid = leading_number(value);
        } else if (type == 'F') {
            if (!copy_sender(info, record, m.id, size, pid, uid, log))
                return false;
            have_sender = true;
        } else if (type == 'T') {
            if (!copy_recipient(value, m, out, routing, log))
                return false;
        } else {
            log.line("warning: unknown record type in " + todo);
            return false;
        }
    }
    if (!have_sender) {
        log.line("warning: no sender record in " + todo);
        return false;
    }
    return flush_all(info, out, m.id, log);
}

// Steps 1 to 3 of preprocessing one message; the files are written, not yet fsynced.
std::optional<Open> prepare(unsigned long id, Routing const& routing, ActivityLog& log)
{
    std::string const todo = mta::hashed_path(mta::kTodoDir, id);
    auto in_fd = mta::open_read(todo);
    if (!in_fd) {
        if (in_fd.error().errnum != ENOENT) // ENOENT: cleaned up since the scan saw it
            log.line("warning: unable to open " + todo);
        return std::nullopt;
    }
    std::string const mess = mta::hashed_path(mta::kMessDir, id);
    struct stat st;
    if (::stat(mess.c_str(), &st) == -1) {
        log.line("warning: unable to stat " + mess);
        return std::nullopt;
    }
    std::string const info = mta::hashed_path(mta::kInfoDir, id);
    for (auto const& stale : { channel_path(Channel::local, id), channel_path(Channel::remote, id),
             info, mta::flat_path(mta::kBounceDir, id) })
        if (!remove_or_warn(stale, log))
            return std::nullopt;
    Open m;
    m.id = id;
    auto info_fd = mta::open_excl(info, 0600);
    if (!info_fd) {
        log.line("warning: unable to create " + info);
        return std::nullopt;
    }
    m.info = std::move(*info_fd);
    log.line("new msg " + number(id));
    mta::Reader in(in_fd->get());
    if (!copy_records(in, m, st.st_size, routing, log))
        return std::nullopt;
    return m;
}

// fsync, then close (checked) one new file; false after a warning.
bool make_durable(mta::Fd& fd, std::string const& path, ActivityLog& log)
{
    if (!fd.valid())
        return true;
    if (!mta::fsync_fd(fd.get()) || !fd.close()) {
        log.line("warning: trouble fsyncing " + path);
        return false;
    }
    return true;
}

// Writeback of every file first, so that the fsyncs that follow share journal commits.
void start_writeback(std::vector<Open> const& batch)
{
    for (auto const& m : batch) {
        (void)::sync_file_range(m.info.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
        for (auto const& fd : m.channel)
            if (fd.valid())
                (void)::sync_file_range(fd.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
    }
}

// The messages whose files are all on disk; adds the directories that hold them to dirs.
std::vector<Preprocessed> sync_files(
    std::vector<Open>& batch, std::set<std::string>& dirs, ActivityLog& log)
{
    std::vector<Preprocessed> ready;
    for (auto& m : batch) {
        Preprocessed p { m.id, { m.channel[0].valid(), m.channel[1].valid() } };
        bool ok = make_durable(m.info, mta::hashed_path(mta::kInfoDir, m.id), log);
        for (Channel c : kAllChannels)
            ok = make_durable(m.channel[index_of(c)], channel_path(c, m.id), log) && ok;
        if (!ok)
            continue;
        dirs.insert(mta::hashed_dir(mta::kInfoDir, m.id));
        for (Channel c : kAllChannels)
            if (p.has[index_of(c)])
                dirs.insert(mta::hashed_dir(channel_name(c), m.id));
        ready.push_back(p);
    }
    return ready;
}

// The directories that could not be fsynced.
std::set<std::string> sync_dirs(std::set<std::string> const& dirs, ActivityLog& log)
{
    std::set<std::string> failed;
    for (auto const& dir : dirs)
        if (!mta::fsync_dir(dir)) {
            log.line("warning: trouble fsyncing " + dir);
            failed.insert(dir);
        }
    return failed;
}

// The messages none of whose directories is among the failed ones.
std::vector<Preprocessed> without_failed(
    std::vector<Preprocessed> const& ready, std::set<std::string> const& failed)
{
    std::vector<Preprocessed> durable;
    for (auto const& p : ready) {
        bool ok = !failed.count(mta::hashed_dir(mta::kInfoDir, p.id));
        for (Channel c : kAllChannels)
            ok = ok
                && !(p.has[index_of(c)] && failed.count(mta::hashed_dir(channel_name(c), p.id)));
        if (ok)
            durable.push_back(p);
    }
    return durable;
}

} // namespace

void HashedScan::start()
{
    m_dir = 0;
    m_listed = false;
    m_names.clear();
    m_index = 0;
}

std::vector<unsigned long> HashedScan::next(size_t max, ActivityLog& log)
{
    std::vector<unsigned long> out;
    while (active() && out.size() < max) {
        if (!m_listed) {
            std::string const dir = mta::hashed_dir(m_top, static_cast<unsigned long>(m_dir));
            auto names = mta::list_directory(dir);
            if (!names)
                log.line("alert: unable to opendir " + dir + ": " + names.error().text());
            m_names = names ? std::move(*names) : std::vector<std::string> {};
            m_index = 0;
            m_listed = true;
        }
        if (m_index == m_names.size()) {
            m_listed = false;
            if (++m_dir == mta::conf::kSplit)
                m_dir = -1;
            continue;
        }
        if (auto id = mta::parse_message_number(m_names[m_index++]))
            out.push_back(*id);
    }
    return out;
}

std::vector<Preprocessed> preprocess(
    std::vector<unsigned long> const& ids, Routing const& routing, ActivityLog& log)
{
    std::vector<Open> batch;
    for (auto id : ids)
        if (auto m = prepare(id, routing, log))
            batch.push_back(std::move(*m));
    start_writeback(batch);
    std::set<std::string> dirs;
    std::vector<Preprocessed> ready = sync_files(batch, dirs, log);
    std::set<std::string> const failed = sync_dirs(dirs, log);
    if (failed.empty())
        return ready;
    return without_failed(ready, failed);
}

} // namespace send
