#include "startup.hpp"

#include "exit_codes.hpp"
#include "install_root.hpp"
#include "queue_paths.hpp"

#include <algorithm>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace send {

namespace {

// One byte from fd, or nullopt when fd is not open or gives end of file.
std::optional<unsigned> read_byte(int fd)
{
    if (::fcntl(fd, F_GETFD) == -1)
        return std::nullopt;
    unsigned char c;
    ssize_t n;
    do
        n = ::read(fd, &c, 1);
    while (n == -1 && errno == EINTR);
    if (n != 1)
        return std::nullopt;
    return c;
}

} // namespace

void cannot_start(ActivityLog& log, std::string_view why, int exit_code)
{
    log.line("alert: cannot start: " + std::string(why));
    log.flush();
    ::_exit(exit_code);
}

std::string enter_root(ActivityLog& log)
{
    auto root = mta::install_root();
    if (!root)
        cannot_start(
            log, "unable to find the install root: " + root.error().text(), mta::kExitTemp);
    if (::chdir(root->c_str()) == -1)
        cannot_start(log, "unable to switch to home directory", mta::kExitTemp);
    return *root;
}

Config load_config_or_die(std::string const& root, ActivityLog& log)
{
    std::string problem;
    auto config = load_config(root, problem);
    if (!config)
        cannot_start(log, problem, mta::kExitTemp);
    return std::move(*config);
}

void enter_queue(ActivityLog& log)
{
    if (::chdir("queue") == -1)
        cannot_start(log, "unable to switch to queue directory", mta::kExitTemp);
    ::umask(077);
}

mta::Fd take_mutex(ActivityLog& log)
{
    int fd = ::open(std::string(mta::kSendMutexPath).c_str(), O_RDWR | O_CLOEXEC);
    if (fd == -1)
        cannot_start(log, "unable to open mutex", mta::kExitTemp);
    mta::Fd mutex(fd);
    if (::flock(fd, LOCK_EX | LOCK_NB) == -1)
        cannot_start(log, "send is already running", mta::kExitTemp);
    std::string const pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) == -1 || ::pwrite(fd, pid.data(), pid.size(), 0) != ssize_t(pid.size()))
        log.line(
            "warning: unable to write the pid into lock/sendmutex; mailctl flush will not work");
    return mutex;
}

void release_mutex(mta::Fd& mutex)
{
    (void)!::ftruncate(mutex.get(), 0);
}

Spawners read_spawners(Config const& config, ActivityLog& log)
{
    Spawners s;
    auto local = read_byte(kLocalResultFd);
    if (!local)
        cannot_start(log, "no concurrency byte from lspawn on descriptor 2", mta::kExitTemp);
    s.local = std::min(*local, config.concurrency[index_of(Channel::local)]);
    // No rspawn: start gives a pipe holding the byte 0 and then end of file (docs/
    // INTERNALS.md, "Delivery processes"); a missing descriptor means the same.
    std::optional<unsigned> remote;
    if (::fcntl(kRemoteCommandFd, F_GETFD) != -1)
        remote = read_byte(kRemoteResultFd);
    if (!remote || *remote == 0)
        log.line("warning: no rspawn: remote deliveries are on hold");
    else if (config.concurrency[index_of(Channel::remote)] == 0)
        log.line("warning: concurrencyremote is 0: remote deliveries are on hold");
    else
        s.remote = std::min(*remote, config.concurrency[index_of(Channel::remote)]);
    // Programs send starts (the queue program, for bounces) must not hold these pipes.
    for (int fd = kLocalCommandFd; fd <= kCleanReplyFd; ++fd)
        (void)mta::set_cloexec(fd, true);
    return s;
}

} // namespace send
