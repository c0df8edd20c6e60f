#include "log_dir.hpp"

#include "log.hpp"
#include "process.hpp"
#include "tai64n.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sv {

namespace {

constexpr size_t kFlushBytes = 65536;
constexpr size_t kLineEndMargin = 2000; // a line ending this close to the size rotates

struct timespec now()
{
    struct timespec ts { };
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return ts;
}

bool exists_at(int dir, const char* name)
{
    struct stat st;
    return ::fstatat(dir, name, &st, 0) == 0;
}

mta::Result<mta::Fd> open_at(int dir, const char* name, int flags, mode_t mode = 0644)
{
    int fd = ::openat(dir, name, flags | O_CLOEXEC | O_NOCTTY, mode);
    if (fd == -1)
        return mta::Error::from_errno("unable to open");
    return mta::Fd(fd);
}

} // namespace

std::string rotated_name(struct timespec when, char suffix)
{
    return mta::tai64n_format(when) + "." + suffix;
}

std::vector<std::string> names_to_remove(std::vector<std::string> names, unsigned num)
{
    std::vector<std::string> rotated;
    for (auto& n : names)
        if (n.size() >= mta::kTai64nLabelLength && n[0] == '@')
            rotated.push_back(std::move(n));
    std::sort(rotated.begin(), rotated.end());
    if (rotated.size() <= num)
        return {};
    rotated.resize(rotated.size() - num);
    return rotated;
}

mta::Result<LogDir> LogDir::open(DirectorySettings const& settings)
{
    LogDir out(settings);
    std::string const& path = settings.path;
    if (::mkdir(path.c_str(), 0755) == -1 && errno != EEXIST)
        return mta::Error::from_errno("unable to create the directory");
    auto dir = mta::open_directory(path);
    if (!dir)
        return dir.error();
    out.m_dir = std::move(*dir);
    auto lock = open_at(out.m_dir.get(), "lock", O_WRONLY | O_APPEND | O_CREAT);
    if (!lock)
        return lock.error();
    if (::flock(lock->get(), LOCK_EX | LOCK_NB) == -1)
        return mta::Error::from_errno("unable to lock the directory");
    out.m_lock = std::move(*lock);
    if (auto st = out.recover(); !st)
        return st.error();
    if (auto st = out.open_current(); !st)
        return st.error();
    return out;
}

// What an earlier multilog left behind: an interrupted processor run, and a current
// that was not finished cleanly (mode 0644: it may end inside a line) becomes @now.u.
mta::Status LogDir::recover()
{
    int const d = m_dir.get();
    if (exists_at(d, "previous")) {
        if (m_settings.processor.empty()) {
            if (::renameat(d, "previous", d, rotated_name(now(), 's').c_str()) == -1)
                return mta::Error::from_errno("unable to rename previous");
        } else if (exists_at(d, "processed") && !exists_at(d, "newstate")) {
            // The processor had finished and state was updated: only the renames are left.
            if (::renameat(d, "processed", d, rotated_name(now(), 's').c_str()) == -1)
                return mta::Error::from_errno("unable to rename processed");
            ::unlinkat(d, "previous", 0);
        } else {
            run_processor();
        }
    } else if (exists_at(d, "processed")) {
        if (::renameat(d, "processed", d, rotated_name(now(), 's').c_str()) == -1)
            return mta::Error::from_errno("unable to rename processed");
    }
    struct stat st;
    if (::fstatat(d, "current", &st, 0) == 0 && !(st.st_mode & S_IXUSR) && st.st_size > 0) {
        if (::renameat(d, "current", d, rotated_name(now(), 'u').c_str()) == -1)
            return mta::Error::from_errno("unable to rename current");
    }
    if (!m_settings.processor.empty() && !exists_at(d, "state")) {
        auto state = open_at(d, "state", O_WRONLY | O_CREAT);
        if (!state)
            return state.error();
    }
    return mta::fsync_fd(d);
}

mta::Status LogDir::open_current()
{
    auto fd = open_at(m_dir.get(), "current", O_WRONLY | O_APPEND | O_CREAT);
    if (!fd)
        return fd.error();
    struct stat st;
    if (::fstat(fd->get(), &st) == -1 || ::fchmod(fd->get(), 0644) == -1)
        return mta::Error::from_errno("unable to set up current");
    m_current = std::move(*fd);
    m_bytes = static_cast<size_t>(st.st_size);
    return {};
}

void LogDir::retry(const char* what, mta::Error error)
{
    mta::log::warn(std::string(what) + " in " + m_settings.path + ", pausing", error);
    ::sleep(1);
}

void LogDir::append(std::string_view line)
{
    if (m_bytes > 0 && m_bytes + line.size() > m_settings.size)
        rotate();
    m_buffer += line;
    m_bytes += line.size();
    if (m_buffer.size() >= kFlushBytes)
        flush();
    if (m_bytes + kLineEndMargin >= m_settings.size)
        rotate();
}

void LogDir::write_out(std::string_view data)
{
    while (!data.empty()) {
        ssize_t n = ::write(m_current.get(), data.data(), data.size());
        if (n > 0) {
            data.remove_prefix(static_cast<size_t>(n));
            continue;
        }
        if (n == -1 && errno == EINTR)
            continue;
        retry("unable to write to current", mta::Error::from_errno("write"));
    }
}

void LogDir::flush()
{
    if (m_buffer.empty())
        return;
    write_out(m_buffer);
    m_buffer.clear();
}

void LogDir::finish_current()
{
    flush();
    while (::fsync(m_current.get()) == -1 && errno != EINVAL)
        retry("unable to fsync current", mta::Error::from_errno("fsync"));
    while (::fchmod(m_current.get(), 0744) == -1)
        retry("unable to set mode of current", mta::Error::from_errno("fchmod"));
    (void)m_current.close();
}

void LogDir::rotate()
{
    if (m_bytes == 0)
        return;
    finish_current();
    int const d = m_dir.get();
    if (m_settings.processor.empty()) {
        std::string const name = rotated_name(now(), 's');
        while (::renameat(d, "current", d, name.c_str()) == -1)
            retry("unable to rename current", mta::Error::from_errno("rename"));
    } else {
        while (::renameat(d, "current", d, "previous") == -1)
            retry("unable to rename current to previous", mta::Error::from_errno("rename"));
        run_processor();
    }
    while (true) {
        auto st = open_current();
        if (st)
            break;
        retry("unable to open current", st.error());
    }
    (void)mta::fsync_fd(d);
    remove_old();
}

void LogDir::finish()
{
    if (m_current.valid())
        finish_current();
}

// Runs `sh -c processor` with previous on fd 0, processed on fd 1, state on fd 4 and
// newstate on fd 5 until it exits 0, then makes processed the new @<now>.s.
void LogDir::run_processor()
{
    int const d = m_dir.get();
    for (;;) {
        ::unlinkat(d, "processed", 0);
        ::unlinkat(d, "newstate", 0);
        auto previous = open_at(d, "previous", O_RDONLY);
        auto processed = open_at(d, "processed", O_WRONLY | O_CREAT | O_TRUNC);
        auto state = open_at(d, "state", O_RDONLY | O_CREAT);
        auto newstate = open_at(d, "newstate", O_WRONLY | O_CREAT | O_TRUNC);
        if (!previous || !processed || !state || !newstate) {
            retry("unable to set up the processor's files", mta::Error::from_errno("open"));
            continue;
        }
        mta::SpawnOptions options;
        options.fds = { { 0, previous->get() }, { 1, processed->get() }, { 4, state->get() },
            { 5, newstate->get() } };
        options.cwd = m_settings.path;
        auto child = mta::Child::spawn({ "/bin/sh", "-c", m_settings.processor }, options);
        auto status = child ? child->wait() : mta::Result<mta::ExitStatus>(child.error());
        if (!status || !status->exited_ok()) {
            retry("processor failed", status ? mta::Error::plain("nonzero exit") : status.error());
            continue;
        }
        if (::fsync(processed->get()) == -1 || ::fchmod(processed->get(), 0744) == -1
            || ::fsync(newstate->get()) == -1) {
            retry("unable to sync the processor's output", mta::Error::from_errno("fsync"));
            continue;
        }
        break;
    }
    while (::renameat(d, "newstate", d, "state") == -1)
        retry("unable to rename newstate", mta::Error::from_errno("rename"));
    std::string const name = rotated_name(now(), 's');
    while (::renameat(d, "processed", d, name.c_str()) == -1)
        retry("unable to rename processed", mta::Error::from_errno("rename"));
    ::unlinkat(d, "previous", 0);
}

void LogDir::remove_old()
{
    auto names = mta::list_directory(m_settings.path);
    if (!names) {
        mta::log::warn("unable to read " + m_settings.path, names.error());
        return;
    }
    for (auto const& name : names_to_remove(std::move(*names), m_settings.num))
        if (::unlinkat(m_dir.get(), name.c_str(), 0) == -1)
            mta::log::warn("unable to remove " + m_settings.path + "/" + name,
                mta::Error::from_errno("unlink"));
}

} // namespace sv
