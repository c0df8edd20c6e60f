#include "sweep.hpp"

#include "auto_conf.hpp"
#include "fd.hpp"
#include "queue_paths.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace queue {

namespace {

struct Sweep {
    std::string base; // queue_dir + "/"
    time_t now;
    time_t max_age;
    SweepCounts counts;

    std::string path(std::string_view dir, unsigned long n) const
    {
        return base + mta::hashed_path(dir, n);
    }
};

// True when the path may exist: only ENOENT says it does not, so that an unreadable
// directory never makes a queued message look unqueued.
bool may_exist(std::string const& path)
{
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0 || errno != ENOENT;
}

bool unlinked(std::string const& path)
{
    return ::unlink(path.c_str()) == 0;
}

mta::Fd open_quietly(std::string const& path)
{
    return mta::Fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
}

// Old enough to sweep: last changed at least max_age seconds ago.
bool is_old(Sweep& s, struct stat const& st)
{
    if (s.now - st.st_mtime >= s.max_age)
        return true;
    ++s.counts.young;
    return false;
}

// A free lock means no queue process holds this inode any more: its state is final.
bool lock_is_free(Sweep& s, mta::Fd const& fd)
{
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0)
        return true;
    if (errno == EWOULDBLOCK)
        ++s.counts.busy;
    return false;
}

// pid/NAME: the injection died before step 3 (or between its link and unlink), or the
// name came back after a machine crash. Only the name goes: intd/K/N, not the pid name,
// says whether a mess file was ever committed, and a pid name that came back may well
// belong to a queued message.
void sweep_pid_file(Sweep& s, std::string const& name)
{
    std::string const pid_path = s.base + std::string(mta::kPidDir) + "/" + name;
    mta::Fd fd = open_quietly(pid_path);
    struct stat st;
    if (!fd.valid() || ::fstat(fd.get(), &st) == -1 || !S_ISREG(st.st_mode) || !is_old(s, st)
        || !lock_is_free(s, fd))
        return;
    if (unlinked(pid_path))
        ++s.counts.pid_files;
}

// intd/K/N without todo/K/N: the injection died before its commit. Its mess/K/N (if
// any) is removed before intd, the witness.
void sweep_intd(Sweep& s, unsigned long n)
{
    std::string const intd = s.path(mta::kIntdDir, n);
    std::string const todo = s.path(mta::kTodoDir, n);
    std::string const mess = s.path(mta::kMessDir, n);
    struct stat st;
    if (::lstat(intd.c_str(), &st) == -1 || !S_ISREG(st.st_mode) || may_exist(todo)
        || !is_old(s, st))
        return;
    mta::Fd intd_fd = open_quietly(intd); // locked by a running injection
    struct stat locked;
    if (!intd_fd.valid() || !lock_is_free(s, intd_fd) || ::fstat(intd_fd.get(), &locked) == -1)
        return;
    // The injection has ended, so todo/K/N cannot appear any more. intd must still be the
    // file we locked: if another clean served todo/N meanwhile, it removed intd first.
    if (may_exist(todo) || ::lstat(intd.c_str(), &st) == -1 || st.st_ino != locked.st_ino)
        return;
    // Held open until intd is gone: inode N is not reused while intd/K/N names it.
    mta::Fd mess_fd = open_quietly(mess);
    if (unlinked(mess))
        ++s.counts.messages;
    else if (errno != ENOENT)
        return;
    if (unlinked(intd))
        ++s.counts.intd_files;
}

} // namespace

SweepCounts sweep(std::string const& queue_dir, time_t now, time_t max_age)
{
    Sweep s { queue_dir + "/", now, max_age, {} };
    if (auto names = mta::list_directory(s.base + std::string(mta::kPidDir))) {
        for (auto const& name : *names)
            sweep_pid_file(s, name);
    }
    for (int k = 0; k < mta::conf::kSplit; ++k) {
        auto names
            = mta::list_directory(s.base + std::string(mta::kIntdDir) + "/" + std::to_string(k));
        if (!names)
            continue;
        for (auto const& name : *names) {
            auto n = mta::parse_message_number(name);
            if (n
                && *n % static_cast<unsigned long>(mta::conf::kSplit)
                    == static_cast<unsigned long>(k))
                sweep_intd(s, *n);
        }
    }
    return s.counts;
}

} // namespace queue
