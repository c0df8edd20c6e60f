// flush - `mailctl flush`: asks the running send to try every queued message now, as
// SIGALRM to qmail-send does.
//
// send holds an exclusive flock on queue/lock/sendmutex while it runs and keeps its pid
// in that file (send/startup.hpp). The lock says whether send runs at all, so a pid left
// from an earlier run is never signalled; /proc/PID/comm must say "send" as well.
#include "commands.hpp"

#include "exit_codes.hpp"
#include "fd.hpp"
#include "log.hpp"
#include "queue_paths.hpp"

#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace admin {

namespace {

// The pid in the mutex file: digits and a newline.
pid_t pid_in(std::string const& text)
{
    auto n = mta::parse_message_number(text.substr(0, text.find('\n')));
    return n && *n > 1 && *n < 1u << 22 ? static_cast<pid_t>(*n) : 0;
}

bool is_send(pid_t pid)
{
    auto comm = mta::read_file("/proc/" + std::to_string(pid) + "/comm", 64);
    return comm && *comm == "send\n";
}

} // namespace

int run_flush(std::string const& root, Args const& args)
{
    if (wants_help(args))
        return print_help("flush");
    if (!args.empty())
        mta::log::fatal(mta::kExitPerm, "usage: mailctl flush");
    std::string const path = root + "/queue/" + std::string(mta::kSendMutexPath);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd == -1 && errno == EACCES)
        mta::log::fatal(mta::kExitTemp,
            "flushing the queue needs root (" + path + " is not readable by uid "
                + std::to_string(::geteuid()) + ")");
    if (fd == -1)
        mta::log::fatal(mta::kExitTemp, "unable to open " + path, mta::Error::from_errno("open"));
    mta::Fd mutex(fd);
    if (::flock(fd, LOCK_SH | LOCK_NB) == 0)
        mta::log::fatal(mta::kExitTemp, "send is not running (nothing holds " + path + ")");
    if (errno != EWOULDBLOCK)
        mta::log::fatal(mta::kExitTemp, "unable to test " + path, mta::Error::from_errno("flock"));
    auto text = mta::read_file(path, 64);
    pid_t const pid = text ? pid_in(*text) : 0;
    if (pid == 0 || !is_send(pid))
        mta::log::fatal(mta::kExitTemp,
            "send is starting or stopping (no pid of send in " + path + "); try again");
    if (::kill(pid, SIGALRM) == -1)
        mta::log::fatal(mta::kExitTemp, "unable to signal send (pid " + std::to_string(pid) + ")",
            mta::Error::from_errno("kill"));
    std::printf("asked send (pid %d) to try every queued message now\n", static_cast<int>(pid));
    return std::fflush(stdout) == 0 ? mta::kExitOk : mta::kExitTemp;
}

} // namespace admin
