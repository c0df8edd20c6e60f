#include "supervisor.hpp"

#include "exit_codes.hpp"
#include "log.hpp"
#include "service_status.hpp"
#include "signal_wait.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sv {

namespace {

constexpr int kHourMs = 3600 * 1000;
constexpr long kRestartGapNs = 1000000000L; // run starts at most once a second
constexpr unsigned kForkFailureSleep = 60;

struct timespec monotonic_now()
{
    struct timespec ts { };
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts;
}

long long nanoseconds(struct timespec ts)
{
    return static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

struct timespec add_nanoseconds(struct timespec ts, long ns)
{
    long long total = nanoseconds(ts) + ns;
    return { static_cast<time_t>(total / 1000000000LL), static_cast<long>(total % 1000000000LL) };
}

[[noreturn]] void die_setup(std::string const& what, std::string const& path)
{
    mta::log::fatal(mta::kExitTemp, what + " " + path + ": " + std::strerror(errno));
}

int open_or_die(std::string const& dir, const char* name, int flags)
{
    int fd = ::open(name, flags | O_CLOEXEC | O_NONBLOCK, 0600);
    if (fd == -1)
        die_setup("unable to open", dir + "/" + name);
    return fd;
}

void make_fifo_or_die(std::string const& dir, const char* name)
{
    if (::mkfifo(name, 0600) == -1 && errno != EEXIST)
        die_setup("unable to create", dir + "/" + name);
}

// The signal a command byte passes on to the service; 0 for the other commands.
int signal_for_command(char c)
{
    switch (c) {
    case 'a':
        return SIGALRM;
    case 'h':
        return SIGHUP;
    case 'k':
        return SIGKILL;
    case 't':
        return SIGTERM;
    case 'i':
        return SIGINT;
    default:
        return 0;
    }
}

} // namespace

void Supervisor::setup_or_die()
{
    m_wait_mask = mta::catch_signals({ SIGCHLD });

    if (::chdir(m_dir.c_str()) == -1)
        die_setup("unable to chdir to", m_dir);
    struct stat st;
    if (::stat("down", &st) == 0)
        m_want_up = false;
    else if (errno != ENOENT)
        die_setup("unable to stat", m_dir + "/down");
    if (::mkdir("supervise", 0700) == -1 && errno != EEXIST)
        die_setup("unable to create", m_dir + "/supervise");
    m_lock = mta::Fd(::open("supervise/lock", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
    if (!m_lock.valid() || ::flock(m_lock.get(), LOCK_EX | LOCK_NB) == -1)
        die_setup("unable to acquire", m_dir + "/supervise/lock");
    make_fifo_or_die(m_dir, "supervise/control");
    m_control = mta::Fd(open_or_die(m_dir, "supervise/control", O_RDONLY));
    m_control_write = mta::Fd(open_or_die(m_dir, "supervise/control", O_WRONLY));
    pid_change();
    announce();
    write_restarts();
    make_fifo_or_die(m_dir, "supervise/ok");
    m_ok = mta::Fd(open_or_die(m_dir, "supervise/ok", O_RDONLY));
}

int Supervisor::run()
{
    if (!m_want || m_want_up)
        try_start();
    for (;;) {
        if (m_exit && m_pid == 0)
            break;
        struct pollfd p {
            m_control.get(), POLLIN, 0
        };
        int const timeout = poll_timeout_ms();
        struct timespec ts {
            timeout / 1000, (timeout % 1000) * 1000000L
        };
        ::ppoll(&p, 1, &ts, &m_wait_mask);
        if (mta::take_signal(SIGCHLD)) {
            reap();
            if (m_exit && m_pid == 0)
                break;
        }
        if (m_start_due && m_pid == 0 && nanoseconds(monotonic_now()) >= nanoseconds(m_start_at)) {
            if (!m_end_asked) { // svc -t, -k or -i ended it: no restart of its own
                ++m_restarts;
                write_restarts();
            }
            try_start();
        }
        char commands[64];
        ssize_t n = ::read(m_control.get(), commands, sizeof commands);
        for (ssize_t i = 0; i < n; ++i)
            handle_command(commands[i]);
    }
    announce();
    return mta::kExitOk;
}

int Supervisor::poll_timeout_ms() const
{
    if (!m_start_due || m_pid != 0)
        return kHourMs;
    long long left = nanoseconds(m_start_at) - nanoseconds(monotonic_now());
    if (left <= 0)
        return 0;
    return static_cast<int>(left / 1000000 + 1);
}

void Supervisor::reap()
{
    while (pid_t const r = mta::next_exited_child()) {
        if (r != m_pid)
            continue;
        m_pid = 0;
        pid_change();
        announce();
        if (m_exit)
            return;
        if (m_want && m_want_up) {
            m_start_due = true;
            m_start_at = add_nanoseconds(m_started, kRestartGapNs);
        }
    }
}

void Supervisor::try_start()
{
    m_start_due = false;
    pid_t const child = ::fork();
    if (child == -1) {
        mta::log::warn("unable to fork for " + m_dir + ", sleeping 60 seconds",
            mta::Error::from_errno("fork"));
        ::sleep(kForkFailureSleep);
        m_start_due = true;
        m_start_at = monotonic_now();
        return;
    }
    if (child == 0) {
        ::signal(SIGCHLD, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        char run[] = "./run";
        char* argv[] = { run, nullptr };
        ::execve(argv[0], argv, environ);
        mta::log::warn("unable to start " + m_dir + "/run", mta::Error::from_errno("exec"));
        ::_exit(mta::kExitTemp);
    }
    m_paused = false;
    m_end_asked = false;
    m_pid = child;
    m_started = monotonic_now();
    pid_change();
    announce();
}

void Supervisor::pid_change()
{
    ::clock_gettime(CLOCK_REALTIME, &m_changed);
}

void Supervisor::announce()
{
    mta::ServiceStatus status;
    status.changed = m_changed;
    status.pid = m_pid;
    status.paused = m_pid != 0 && m_paused;
    status.want = m_want ? (m_want_up ? 'u' : 'd') : '\0';
    std::string const bytes = mta::encode_status(status);
    int fd = ::open("supervise/status.new", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd == -1) {
        mta::log::warn(
            "unable to open " + m_dir + "/supervise/status.new", mta::Error::from_errno("open"));
        return;
    }
    mta::Fd owner(fd);
    if (auto st = mta::write_all(fd, bytes); !st) {
        mta::log::warn("unable to write " + m_dir + "/supervise/status.new", st.error());
        return;
    }
    if (auto st = owner.close(); !st)
        mta::log::warn("unable to write " + m_dir + "/supervise/status.new", st.error());
    else if (::rename("supervise/status.new", "supervise/status") == -1)
        mta::log::warn("unable to rename " + m_dir + "/supervise/status.new to status",
            mta::Error::from_errno("rename"));
}

void Supervisor::write_restarts()
{
    std::string const text = std::to_string(m_restarts) + "\n";
    int fd = ::open("supervise/restarts.new", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd == -1)
        return; // only mailctl status reads it: not worth a warning per restart
    mta::Fd owner(fd);
    if (mta::write_all(fd, text) && owner.close())
        ::rename("supervise/restarts.new", "supervise/restarts");
}

void Supervisor::signal_child(int sig)
{
    if (m_pid != 0)
        ::kill(m_pid, sig);
}

void Supervisor::handle_command(char c)
{
    if (int const sig = signal_for_command(c)) {
        if (m_pid != 0 && (sig == SIGTERM || sig == SIGKILL || sig == SIGINT))
            m_end_asked = true;
        signal_child(sig);
        return;
    }
    switch (c) {
    case 'd':
        bring_down();
        break;
    case 'u':
        m_want = true;
        m_want_up = true;
        announce_and_start();
        break;
    case 'o':
        m_want = false;
        announce_and_start();
        break;
    case 'p':
        set_paused(true);
        break;
    case 'c':
        set_paused(false);
        break;
    case 'x':
        m_exit = true;
        announce();
        break;
    default:
        break;
    }
}

// 'd': no more starts; the service gets SIGTERM, and SIGCONT in case it is paused.
void Supervisor::bring_down()
{
    m_want = true;
    m_want_up = false;
    m_start_due = false;
    if (m_pid != 0) {
        ::kill(m_pid, SIGTERM);
        ::kill(m_pid, SIGCONT);
        m_paused = false;
    }
    announce();
}

// 'u' and 'o', once the wish is set: starts the service unless it runs.
void Supervisor::announce_and_start()
{
    announce();
    if (m_pid == 0)
        try_start();
}

// 'p' and 'c': SIGSTOP or SIGCONT, after the status says so.
void Supervisor::set_paused(bool paused)
{
    m_paused = paused;
    announce();
    signal_child(paused ? SIGSTOP : SIGCONT);
}

} // namespace sv
