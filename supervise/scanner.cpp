#include "scanner.hpp"

#include "exit_codes.hpp"
#include "log.hpp"
#include "process.hpp"
#include "service_status.hpp"
#include "signal_wait.hpp"

#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sv {

namespace {

constexpr size_t kMaxServices = 1000;
constexpr int kScanInterval = 5; // seconds
constexpr int kLogGrace = 5; // seconds a logger may take to drain its pipe at shutdown

void sleep_for_signal(int seconds, sigset_t const* mask)
{
    struct timespec ts {
        seconds, 0
    };
    ::ppoll(nullptr, 0, &ts, mask);
}

} // namespace

void Scanner::setup_or_die(std::string const& dir)
{
    m_dir = dir;
    m_wait_mask = mta::catch_signals({ SIGCHLD, SIGALRM, SIGTERM });
    mta::ignore_sigpipe();

    if (::chdir(dir.c_str()) == -1)
        mta::log::fatal(
            mta::kExitTemp, "unable to chdir to " + dir, mta::Error::from_errno("chdir"));
    m_lock = mta::Fd(::open(kScanLock, O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!m_lock.valid())
        mta::log::fatal(mta::kExitTemp, "unable to open " + dir + "/" + kScanLock,
            mta::Error::from_errno("open"));
    if (::flock(m_lock.get(), LOCK_EX | LOCK_NB) == -1)
        mta::log::fatal(
            mta::kExitTemp, "another svscan runs in " + dir, mta::Error::from_errno("flock"));
    std::string const pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(m_lock.get(), 0) == -1 || ::pwrite(m_lock.get(), pid.data(), pid.size(), 0) < 0)
        mta::log::fatal(mta::kExitTemp, "unable to write " + dir + "/" + kScanLock,
            mta::Error::from_errno("write"));
}

int Scanner::run()
{
    for (;;) {
        reap();
        if (mta::signal_seen(SIGTERM)) {
            shutdown();
            return mta::kExitOk;
        }
        mta::clear_signal(SIGALRM);
        scan();
        // Wakes early on SIGALRM (rescan), SIGTERM and SIGCHLD (reap only).
        struct timespec due { };
        ::clock_gettime(CLOCK_MONOTONIC, &due);
        due.tv_sec += kScanInterval;
        for (;;) {
            struct timespec now { };
            ::clock_gettime(CLOCK_MONOTONIC, &now);
            if (mta::signal_seen(SIGALRM) || mta::signal_seen(SIGTERM) || now.tv_sec > due.tv_sec
                || (now.tv_sec == due.tv_sec && now.tv_nsec >= due.tv_nsec))
                break;
            struct timespec left {
                due.tv_sec - now.tv_sec, due.tv_nsec - now.tv_nsec
            };
            if (left.tv_nsec < 0) {
                left.tv_nsec += 1000000000L;
                --left.tv_sec;
            }
            ::ppoll(nullptr, 0, &left, &m_wait_mask);
            reap();
        }
    }
}

void Scanner::reap()
{
    while (pid_t const r = mta::next_exited_child()) {
        for (auto& s : m_services) {
            if (s.pid == r) {
                s.pid = 0;
                break;
            }
            if (s.log_pid == r) {
                s.log_pid = 0;
                break;
            }
        }
    }
}

void Scanner::scan()
{
    for (auto& s : m_services)
        s.active = false;
    DIR* dir = ::opendir(".");
    if (!dir) {
        mta::log::warn("unable to read directory " + m_dir, mta::Error::from_errno("opendir"));
        return;
    }
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* d = ::readdir(dir))
        names.emplace_back(d->d_name);
    bool const failed = errno != 0;
    ::closedir(dir);
    if (failed) {
        mta::log::warn("unable to read directory " + m_dir, mta::Error::from_errno("readdir"));
        return;
    }
    for (auto const& name : names)
        start(name);
    // Forget services whose directory vanished, once their processes have exited.
    for (size_t i = 0; i < m_services.size();) {
        Service const& s = m_services[i];
        if (!s.active && s.pid == 0 && s.log_pid == 0) {
            m_services[i] = std::move(m_services.back());
            m_services.pop_back();
            continue;
        }
        ++i;
    }
}

void Scanner::start(std::string const& name)
{
    if (name.empty() || name[0] == '.')
        return;
    struct stat st;
    if (::stat(name.c_str(), &st) == -1) {
        mta::log::warn("unable to stat " + name, mta::Error::from_errno("stat"));
        return;
    }
    if (!S_ISDIR(st.st_mode))
        return;
    Service* s = nullptr;
    for (auto& known : m_services)
        if (known.dev == st.st_dev && known.ino == st.st_ino)
            s = &known;
    if (!s)
        s = add_service(name, st);
    if (!s)
        return;
    s->active = true;
    if (s->pid == 0)
        start_supervise(*s);
    if (s->has_log && s->log_pid == 0)
        start_log(*s);
}

// A service directory seen for the first time, with its log pipe; nullptr (warned) when
// it cannot be run.
Scanner::Service* Scanner::add_service(std::string const& name, struct stat const& dir)
{
    if (m_services.size() >= kMaxServices) {
        mta::log::warn("unable to start " + name + ": running too many services");
        return nullptr;
    }
    Service fresh;
    fresh.dev = dir.st_dev;
    fresh.ino = dir.st_ino;
    fresh.name = name;
    struct stat st;
    if (::stat((name + "/log").c_str(), &st) == 0)
        fresh.has_log = S_ISDIR(st.st_mode);
    else if (errno != ENOENT) {
        mta::log::warn("unable to stat " + name + "/log", mta::Error::from_errno("stat"));
        return nullptr;
    }
    if (fresh.has_log) {
        auto pipe = mta::make_pipe();
        if (!pipe) {
            mta::log::warn("unable to create pipe for " + name, pipe.error());
            return nullptr;
        }
        fresh.pipe = std::move(*pipe);
    }
    m_services.push_back(std::move(fresh));
    return &m_services.back();
}

void Scanner::start_supervise(Service& s)
{
    mta::SpawnOptions options;
    if (s.has_log)
        options.fds = { { 1, s.pipe.write_end.get() } };
    auto child = mta::Child::spawn({ m_supervise, s.name }, options);
    if (!child) {
        mta::log::warn("unable to start supervise " + s.name, child.error());
        return;
    }
    s.pid = child->release();
}

void Scanner::start_log(Service& s)
{
    mta::SpawnOptions options;
    options.fds = { { 0, s.pipe.read_end.get() } };
    options.cwd = s.name;
    auto child = mta::Child::spawn({ m_supervise, "log" }, options);
    if (!child) {
        mta::log::warn("unable to start supervise " + s.name + "/log", child.error());
        return;
    }
    s.log_pid = child->release();
}

void Scanner::shutdown()
{
    for (;;) {
        reap();
        if (shutdown_step(::time(nullptr)))
            return;
        sleep_for_signal(1, &m_wait_mask);
    }
}

// One round of the stop: returns true when every supervise has exited.
bool Scanner::shutdown_step(time_t now)
{
    bool all_gone = true;
    for (auto& s : m_services) {
        if (s.pid != 0) {
            all_gone = false;
            if (!s.told_down)
                s.told_down = mta::send_control(s.name, "dx").ok();
            continue;
        }
        if (!s.has_log)
            continue;
        if (s.pipe.write_end.valid())
            (void)s.pipe.write_end.close(); // the logger sees end of input once drained
        if (s.log_pid == 0)
            continue;
        all_gone = false;
        std::string const log = s.name + "/log";
        if (!s.told_log) {
            s.told_log = mta::send_control(log, "x").ok();
            s.log_deadline = now + kLogGrace;
        } else if (!s.told_log_down && now >= s.log_deadline) {
            s.told_log_down = mta::send_control(log, "dx").ok();
        }
    }
    return all_gone;
}

} // namespace sv
