// mailctl start, stop, restart and status: the supervision tree of an install (svscan on
// ROOT/service, DESIGN section 8). svscan holds a lock on ROOT/service/.svscan.lock and
// keeps its pid there; that is how these commands find it.
#include "commands.hpp"
#include "exit_codes.hpp"
#include "fd.hpp"
#include "log.hpp"
#include "queue_list.hpp"
#include "service_status.hpp"
#include "spawn_driver.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <optional>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace admin {

namespace {

constexpr int kStartWaitSeconds = 10; // for svscan and each service to come up
constexpr int kDefaultStopSeconds = 300; // deliveries in flight may take minutes
constexpr int kLeftoverSeconds = 10; // for processes of the install after svscan ends
constexpr time_t kUpSeconds = 1; // a service up this long did not fail at once

using Clock = std::chrono::steady_clock;

void pause_briefly()
{
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

std::string service_dir(std::string const& root, std::string const& name)
{
    return root + "/service/" + name;
}

void require_root(const char* command)
{
    if (::geteuid() != 0)
        mta::log::fatal(mta::kExitTemp, std::string("mailctl ") + command + " must run as root");
}

// The pid of the svscan running on ROOT/service, if one runs.
std::optional<pid_t> svscan_pid(std::string const& root)
{
    std::string const path = root + "/service/.svscan.lock";
    int raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (raw == -1)
        return std::nullopt;
    mta::Fd fd(raw);
    if (::flock(fd.get(), LOCK_SH | LOCK_NB) == 0)
        return std::nullopt; // nobody holds it
    char buf[32] = {};
    ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
    long pid = n > 0 ? std::strtol(buf, nullptr, 10) : 0;
    if (pid <= 0)
        return pid_t(0); // locked, pid not written yet
    return static_cast<pid_t>(pid);
}

// The service directories (not the dot names svscan skips), sorted.
std::vector<std::string> service_names(std::string const& root)
{
    std::vector<std::string> out;
    auto names = mta::list_directory(root + "/service");
    if (!names)
        return out;
    for (auto const& name : *names) {
        struct stat st;
        if (name[0] != '.' && ::stat(service_dir(root, name).c_str(), &st) == 0
            && S_ISDIR(st.st_mode))
            out.push_back(name);
    }
    return out;
}

bool normally_up(std::string const& dir)
{
    return ::access((dir + "/down").c_str(), F_OK) == -1;
}

// Up for at least kUpSeconds (not failing and restarting once a second).
bool steadily_up(std::string const& dir)
{
    auto st = mta::read_status(dir);
    return st && st->pid != 0 && ::time(nullptr) - st->changed.tv_sec >= kUpSeconds;
}

bool is_down(std::string const& dir)
{
    auto running = mta::supervise_running(dir);
    if (running && !*running)
        return true;
    auto st = mta::read_status(dir);
    return st && st->pid == 0;
}

// "up (pid 12) 40 seconds, restarts 0", or why there is no such line.
std::string describe(std::string const& dir)
{
    auto running = mta::supervise_running(dir);
    if (!running)
        return running.error().text();
    if (!*running)
        return "supervise not running";
    auto st = mta::read_status(dir);
    if (!st)
        return "unable to read supervise/status: " + st.error().text();
    std::string out = mta::describe_status(*st, normally_up(dir), ::time(nullptr));
    if (auto restarts = mta::read_restarts(dir))
        out += ", restarts " + std::to_string(*restarts);
    return out;
}

// Every process whose program lies in ROOT/bin, but this one.
std::vector<std::string> install_processes(std::string const& root)
{
    std::vector<std::string> out;
    std::string const bin = root + "/bin/";
    auto entries = mta::list_directory("/proc");
    if (!entries)
        return out;
    for (auto const& entry : *entries) {
        if (entry.find_first_not_of("0123456789") != std::string::npos
            || std::stol(entry) == ::getpid())
            continue;
        char target[4096];
        ssize_t n = ::readlink(("/proc/" + entry + "/exe").c_str(), target, sizeof target - 1);
        if (n <= 0)
            continue;
        std::string const exe(target, static_cast<size_t>(n));
        if (exe.compare(0, bin.size(), bin) == 0)
            out.push_back(entry + " (" + exe.substr(bin.size()) + ")");
    }
    return out;
}

// svscan ROOT/service, detached: its own session, stdin /dev/null, output appended to
// ROOT/log/svscan.log, and the environment start gives deliveries.
void launch_svscan(std::string const& root)
{
    std::string const program = root + "/bin/svscan";
    std::string const dir = root + "/service";
    std::string const log = root + "/log/svscan.log";
    std::vector<std::string> const env = mta::delivery_environment();
    std::vector<char*> envp;
    envp.reserve(env.size() + 1);
    for (auto const& e : env)
        envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    char* argv[] = { const_cast<char*>(program.c_str()), const_cast<char*>(dir.c_str()), nullptr };
    std::fflush(stdout);
    pid_t child = ::fork();
    if (child == -1)
        mta::log::fatal(mta::kExitTemp, "unable to start svscan", mta::Error::from_errno("fork"));
    if (child == 0) {
        ::setsid();
        pid_t grandchild = ::fork();
        if (grandchild != 0)
            ::_exit(grandchild == -1 ? mta::kExitTemp : mta::kExitOk);
        ::umask(022);
        int in = ::open("/dev/null", O_RDONLY);
        int out = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
        if (in == -1 || out == -1 || ::dup2(in, 0) == -1 || ::dup2(out, 1) == -1
            || ::dup2(out, 2) == -1 || ::chdir("/") == -1)
            ::_exit(mta::kExitTemp);
        ::execve(argv[0], argv, envp.data());
        ::_exit(mta::kExitTemp);
    }
    int wstat = 0;
    while (::waitpid(child, &wstat, 0) == -1 && errno == EINTR) { }
    if (!WIFEXITED(wstat) || WEXITSTATUS(wstat) != 0)
        mta::log::fatal(mta::kExitTemp, "unable to start svscan (fork failed)");
}

// Waits until every normally-up service of root is steadily up; prints one line per
// service and returns the number that are not.
int wait_until_up(std::string const& root, std::vector<std::string> const& names)
{
    auto const deadline = Clock::now() + std::chrono::seconds(kStartWaitSeconds);
    for (;;) {
        bool all = true;
        for (auto const& name : names)
            if (normally_up(service_dir(root, name)) && !steadily_up(service_dir(root, name)))
                all = false;
        if (all || Clock::now() > deadline)
            break;
        pause_briefly();
    }
    int problems = 0;
    for (auto const& name : names) {
        std::string const dir = service_dir(root, name);
        bool const ok = !normally_up(dir) || steadily_up(dir);
        std::printf("%s: %s%s\n", name.c_str(), describe(dir).c_str(),
            ok ? "" : ("  <- not up: see " + root + "/log/" + name + "/current").c_str());
        problems += ok ? 0 : 1;
    }
    return problems;
}

// Waits until every named service is down; false when the deadline passed.
bool wait_until_down(
    std::string const& root, std::vector<std::string> const& names, Clock::time_point deadline)
{
    bool said = false;
    auto const say_at = Clock::now() + std::chrono::seconds(2);
    for (;;) {
        std::vector<std::string> up;
        for (auto const& name : names)
            if (!is_down(service_dir(root, name)))
                up.push_back(name);
        if (up.empty())
            return true;
        if (Clock::now() > deadline) {
            for (auto const& name : up)
                mta::log::warn(name + " did not stop: " + describe(service_dir(root, name)));
            return false;
        }
        if (!said && Clock::now() > say_at) {
            std::string list;
            for (auto const& name : up)
                list += " " + name;
            std::printf(
                "waiting for%s to stop (deliveries in flight finish first)\n", list.c_str());
            std::fflush(stdout);
            said = true;
        }
        pause_briefly();
    }
}

int stop_timeout(Args const& args, const char* command)
{
    if (args.empty())
        return kDefaultStopSeconds;
    if (args.size() == 2 && args[0] == "--timeout") {
        char* end = nullptr;
        long value = std::strtol(args[1].c_str(), &end, 10);
        if (end && *end == '\0' && value > 0 && value <= 86400)
            return static_cast<int>(value);
    }
    mta::log::fatal(
        mta::kExitPerm, std::string("usage: mailctl ") + command + " [--timeout SECONDS]");
}

int start_all(std::string const& root)
{
    if (auto pid = svscan_pid(root)) {
        std::printf("svscan runs already (pid %d) on %s/service\n", int(*pid), root.c_str());
        return wait_until_up(root, service_names(root)) == 0 ? mta::kExitOk : mta::kExitTemp;
    }
    launch_svscan(root);
    auto const deadline = Clock::now() + std::chrono::seconds(kStartWaitSeconds);
    std::optional<pid_t> pid;
    while (!(pid = svscan_pid(root)) || *pid == 0) {
        if (Clock::now() > deadline)
            mta::log::fatal(
                mta::kExitTemp, "svscan did not start; see " + root + "/log/svscan.log");
        pause_briefly();
    }
    int const problems = wait_until_up(root, service_names(root));
    std::printf("started svscan (pid %d) on %s/service; logs in %s/log/NAME/current\n", int(*pid),
        root.c_str(), root.c_str());
    return problems == 0 ? mta::kExitOk : mta::kExitTemp;
}

int stop_all(std::string const& root, int timeout)
{
    auto const pid = svscan_pid(root);
    if (!pid || *pid == 0) {
        std::printf("svscan is not running on %s/service\n", root.c_str());
        return mta::kExitOk;
    }
    auto const deadline = Clock::now() + std::chrono::seconds(timeout);
    std::vector<std::string> const names = service_names(root);
    for (auto const& name : names)
        if (auto sent = mta::send_control(service_dir(root, name), "d"); !sent)
            mta::log::warn("unable to tell " + name + "'s supervise to stop it", sent.error());
    if (!wait_until_down(root, names, deadline))
        mta::log::fatal(mta::kExitTemp, "services still stopping; svscan left running");
    if (::kill(*pid, SIGTERM) == -1)
        mta::log::fatal(mta::kExitTemp, "unable to signal svscan", mta::Error::from_errno("kill"));
    auto const end = Clock::now() + std::chrono::seconds(kLeftoverSeconds + 20);
    std::vector<std::string> left;
    for (;;) {
        left = install_processes(root);
        if ((left.empty() && !svscan_pid(root)) || Clock::now() > end)
            break;
        pause_briefly();
    }
    for (auto const& p : left)
        mta::log::warn("still running: pid " + p);
    if (!left.empty())
        return mta::kExitTemp;
    std::printf("stopped every service of %s and svscan\n", root.c_str());
    return mta::kExitOk;
}

int restart_one(std::string const& root, std::string const& name, int timeout)
{
    std::string const dir = service_dir(root, name);
    if (::access(dir.c_str(), F_OK) == -1)
        mta::log::fatal(mta::kExitPerm, "no service " + name + " in " + root + "/service");
    if (auto st = mta::send_control(dir, "d"); !st)
        mta::log::fatal(mta::kExitTemp, "unable to control " + name, st.error());
    if (!wait_until_down(root, { name }, Clock::now() + std::chrono::seconds(timeout)))
        return mta::kExitTemp;
    if (auto st = mta::send_control(dir, "u"); !st)
        mta::log::fatal(mta::kExitTemp, "unable to control " + name, st.error());
    return wait_until_up(root, { name }) == 0 ? mta::kExitOk : mta::kExitTemp;
}

void print_queue(std::string const& root)
{
    std::string const queue = root + "/queue";
    auto ids = queued_ids(queue);
    if (!ids) {
        std::printf("queue: unreadable (%s)\n", ids.error().text().c_str());
        return;
    }
    QueueStats stats;
    for (auto id : *ids)
        if (auto m = read_queued(queue, id); m && *m)
            stats.add(**m);
    std::printf("queue: %zu message%s, %zu not yet preprocessed, %zu local and %zu remote "
                "recipients pending\n",
        stats.messages, stats.messages == 1 ? "" : "s", stats.not_preprocessed,
        stats.local_pending + stats.unsorted_pending, stats.remote_pending);
}

} // namespace

int run_start(std::string const& root, Args const& args)
{
    if (wants_help(args))
        return print_help("start");
    if (!args.empty())
        mta::log::fatal(mta::kExitPerm, "usage: mailctl start");
    require_root("start");
    return start_all(root);
}

int run_stop(std::string const& root, Args const& args)
{
    if (wants_help(args))
        return print_help("stop");
    int const timeout = stop_timeout(args, "stop");
    require_root("stop");
    return stop_all(root, timeout);
}

int run_restart(std::string const& root, Args const& args)
{
    if (wants_help(args))
        return print_help("restart");
    Args rest = args;
    std::string name;
    if (!rest.empty() && rest[0] != "--timeout") {
        name = rest[0];
        rest.erase(rest.begin());
    }
    int const timeout = stop_timeout(rest, "restart [SERVICE]");
    require_root("restart");
    if (!name.empty())
        return restart_one(root, name, timeout);
    int const stopped = stop_all(root, timeout);
    if (stopped != mta::kExitOk)
        return stopped;
    return start_all(root);
}

int run_status(std::string const& root, Args const& args)
{
    if (wants_help(args))
        return print_help("status");
    if (!args.empty())
        mta::log::fatal(mta::kExitPerm, "usage: mailctl status");
    bool ok = true;
    if (auto pid = svscan_pid(root)) {
        std::printf("svscan: up (pid %d) on %s/service\n", int(*pid), root.c_str());
    } else {
        std::printf("svscan: not running (mailctl start starts it)\n");
        ok = false;
    }
    for (auto const& name : service_names(root)) {
        std::string const dir = service_dir(root, name);
        std::string line = name + ": " + describe(dir);
        if (::access((dir + "/log").c_str(), F_OK) == 0)
            line += "; log: " + describe(dir + "/log");
        std::printf("%s\n", line.c_str());
        auto st = mta::read_status(dir);
        if (normally_up(dir) && !(st && st->pid != 0))
            ok = false;
    }
    print_queue(root);
    if (std::fflush(stdout) != 0)
        mta::log::fatal(mta::kExitTemp, "unable to write", mta::Error::from_errno("write"));
    return ok ? mta::kExitOk : mta::kExitTemp;
}

} // namespace admin
