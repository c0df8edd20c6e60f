#include "process.hpp"

#include "fd.hpp"
#include "privs.hpp"

#include <algorithm>
#include <csignal>
#include <fcntl.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace mta {

namespace {

// Everything the child needs, built before fork(): between fork() and exec the child makes
// only async-signal-safe calls and allocates nothing.
struct ExecPlan {
    std::vector<char*> argv; // null-terminated
    std::vector<char*> envp; // null-terminated; empty: inherit environ
    std::vector<FdMap> fds; // the mapping to apply
    std::vector<int> temp_fds; // one slot per mapping, filled in the child
    int min_temp_fd = 3; // above every child_fd: dup2 can never hit a copy
    char const* cwd = nullptr;
    std::optional<Credentials> credentials;
    sigset_t empty_mask;
    int report_fd = -1; // close-on-exec; carries an Error when setup fails
};

ExecPlan make_plan(std::vector<std::string> const& argv, SpawnOptions const& options)
{
    ExecPlan plan;
    plan.argv = exec_vector(argv);
    if (options.env)
        plan.envp = exec_vector(*options.env);
    plan.fds = options.fds;
    plan.temp_fds.assign(plan.fds.size(), -1);
    for (auto const& map : plan.fds)
        plan.min_temp_fd = std::max(plan.min_temp_fd, map.child_fd + 1);
    if (options.cwd)
        plan.cwd = options.cwd->c_str();
    plan.credentials = options.credentials;
    sigemptyset(&plan.empty_mask);
    return plan;
}

[[noreturn]] void fail_in_child(int report_fd, Error error)
{
    ssize_t n = ::write(report_fd, &error, sizeof error);
    (void)n;
    ::_exit(kExitExecFailed);
}

// Parallel assignment: copy every source above all targets first, then dup2 the copies
// onto the targets (dup2 clears close-on-exec on the target; the copies are closed by exec).
void map_fds_in_child(ExecPlan& plan)
{
    for (size_t i = 0; i < plan.fds.size(); ++i) {
        plan.temp_fds[i] = ::fcntl(plan.fds[i].parent_fd, F_DUPFD_CLOEXEC, plan.min_temp_fd);
        if (plan.temp_fds[i] == -1)
            fail_in_child(plan.report_fd, Error::from_errno("unable to duplicate descriptor"));
    }
    for (size_t i = 0; i < plan.fds.size(); ++i) {
        if (::dup2(plan.temp_fds[i], plan.fds[i].child_fd) == -1)
            fail_in_child(plan.report_fd, Error::from_errno("unable to move descriptor"));
    }
}

[[noreturn]] void run_child(ExecPlan& plan)
{
    map_fds_in_child(plan);
    if (plan.credentials) {
        Status st = drop_privileges(plan.credentials->uid, plan.credentials->gid);
        if (!st)
            fail_in_child(plan.report_fd, st.error());
    }
    if (plan.cwd && ::chdir(plan.cwd) == -1)
        fail_in_child(plan.report_fd, Error::from_errno("unable to change directory"));
    std::signal(SIGPIPE, SIG_DFL);
    ::sigprocmask(SIG_SETMASK, &plan.empty_mask, nullptr);
    char** envp = plan.envp.empty() ? environ : plan.envp.data();
    ::execve(plan.argv[0], plan.argv.data(), envp);
    ::_exit(kExitExecFailed);
}

// Child::run's child: the descriptors, then every other descriptor closed, credentials,
// directory, environment; then body.
[[noreturn]] void run_body(ExecPlan& plan, std::function<int()> const& body)
{
    map_fds_in_child(plan);
    for (int fd = 0; fd < plan.min_temp_fd; ++fd)
        if (std::none_of(
                plan.fds.begin(), plan.fds.end(), [fd](FdMap const& m) { return m.child_fd == fd; })
            && fd != plan.report_fd)
            ::close(fd);
    if (plan.credentials) {
        Status st = drop_privileges(plan.credentials->uid, plan.credentials->gid);
        if (!st)
            fail_in_child(plan.report_fd, st.error());
    }
    if (plan.cwd && ::chdir(plan.cwd) == -1)
        fail_in_child(plan.report_fd, Error::from_errno("unable to change directory"));
    ::sigprocmask(SIG_SETMASK, &plan.empty_mask, nullptr);
    if (!plan.envp.empty())
        environ = plan.envp.data();
    // The setup report ends here (end of file), and with it every inherited descriptor
    // above the mapped ones (the report pipe sits above them too).
    if (::close_range(static_cast<unsigned>(plan.min_temp_fd), ~0U, 0) == -1)
        fail_in_child(plan.report_fd, Error::from_errno("unable to close descriptors"));
    ::_exit(body());
}

// Reads the child's setup report into `report`: nothing (end of file at exec) means the
// child got as far as exec. A failure here is a failure to read the pipe.
Status read_report(int fd, std::optional<Error>& report)
{
    Error error;
    size_t got = 0;
    auto* bytes = reinterpret_cast<char*>(&error);
    while (got < sizeof error) {
        ssize_t n = ::read(fd, bytes + got, sizeof error - got);
        if (n == 0)
            break;
        if (n == -1) {
            if (errno == EINTR)
                continue;
            return Error::from_errno("unable to read child's setup report");
        }
        got += static_cast<size_t>(n);
    }
    if (got == sizeof error)
        report = error;
    else if (got != 0)
        return Error::plain("short setup report from child");
    return {};
}

// Forks; the child calls in_child(plan) (which never returns), the parent waits for the
// child's setup report. The pid of a child that set itself up, or the setup error.
Result<pid_t> fork_child(ExecPlan& plan, void (*in_child)(ExecPlan&, void const*), void const* arg)
{
    auto report = make_pipe();
    if (!report)
        return report.error();
    // The write end must survive the child's dup2 calls: put it above every target.
    Fd report_write(::fcntl(report->write_end.get(), F_DUPFD_CLOEXEC, plan.min_temp_fd));
    if (!report_write.valid())
        return Error::from_errno("unable to duplicate descriptor");
    report->write_end = Fd();
    plan.report_fd = report_write.get();

    pid_t pid = ::fork();
    if (pid == -1)
        return Error::from_errno("unable to fork");
    if (pid == 0)
        in_child(plan, arg);
    report_write = Fd();
    std::optional<Error> failed;
    if (Status st = read_report(report->read_end.get(), failed); !st) {
        ::kill(pid, SIGKILL); // state unknown: do not leave it running unsupervised
        (void)wait_exitcode(pid);
        return st.error();
    }
    if (failed) {
        (void)wait_exitcode(pid); // it exits right after the report
        return *failed;
    }
    return pid;
}

// posix_spawn's objects, destroyed on every path.
struct SpawnActions {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    int ready = 0; // how many of the two are initialised

    SpawnActions()
    {
        if (::posix_spawn_file_actions_init(&actions) == 0)
            ++ready;
        if (ready == 1 && ::posix_spawnattr_init(&attr) == 0)
            ++ready;
    }
    ~SpawnActions()
    {
        if (ready == 2)
            ::posix_spawnattr_destroy(&attr);
        if (ready >= 1)
            ::posix_spawn_file_actions_destroy(&actions);
    }
};

// True when the mappings can be applied one after the other: no mapping's target is the
// source of a later one. (dup2 of an fd onto itself clears close-on-exec in posix_spawn.)
bool in_order_is_parallel(std::vector<FdMap> const& fds)
{
    for (size_t i = 0; i < fds.size(); ++i)
        for (size_t j = i + 1; j < fds.size(); ++j)
            if (fds[i].child_fd == fds[j].parent_fd)
                return false;
    return true;
}

// Child::spawn without credentials: posix_spawn, which glibc runs as
// clone(CLONE_VM|CLONE_VFORK): the parent's page tables are not copied. The pid, or
// nullopt when posix_spawn failed for any reason; the caller then takes the fork path,
// which reports the failing step as before (and turns an exec failure into exit 120).
// Descriptors that must be swapped are first copied above every target in the parent
// (close-on-exec: they end at exec in the child and when `copies` goes here).
std::optional<pid_t> spawn_without_fork(ExecPlan const& plan)
{
    SpawnActions sa;
    if (sa.ready != 2)
        return std::nullopt;
    std::vector<Fd> copies;
    bool const direct = in_order_is_parallel(plan.fds);
    for (auto const& map : plan.fds) {
        int source = map.parent_fd;
        if (!direct) {
            copies.emplace_back(::fcntl(source, F_DUPFD_CLOEXEC, plan.min_temp_fd));
            source = copies.back().get();
            if (source == -1)
                return std::nullopt;
        }
        if (::posix_spawn_file_actions_adddup2(&sa.actions, source, map.child_fd) != 0)
            return std::nullopt;
    }
    if (plan.cwd && ::posix_spawn_file_actions_addchdir_np(&sa.actions, plan.cwd) != 0)
        return std::nullopt;
    sigset_t const defaults = spawn_default_signals();
    if (::posix_spawnattr_setsigmask(&sa.attr, &plan.empty_mask) != 0
        || ::posix_spawnattr_setsigdefault(&sa.attr, &defaults) != 0
        || ::posix_spawnattr_setflags(
               &sa.attr, static_cast<short>(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
            != 0)
        return std::nullopt;
    pid_t pid = -1;
    char* const* envp = plan.envp.empty() ? environ : plan.envp.data();
    if (::posix_spawn(&pid, plan.argv[0], &sa.actions, &sa.attr, plan.argv.data(), envp) != 0)
        return std::nullopt;
    return pid;
}

} // namespace

Result<Child> Child::spawn(std::vector<std::string> const& argv, SpawnOptions const& options)
{
    if (argv.empty())
        return Error::plain("no program to run");
    ExecPlan plan = make_plan(argv, options);
    if (!plan.credentials)
        if (auto pid = spawn_without_fork(plan))
            return Child(*pid);
    auto pid = fork_child(
        plan, [](ExecPlan& p, void const*) { run_child(p); }, nullptr);
    if (!pid)
        return pid.error();
    return Child(*pid);
}

Result<Child> Child::run(std::function<int()> const& body, SpawnOptions const& options)
{
    ExecPlan plan = make_plan({}, options);
    auto pid = fork_child(
        plan,
        [](ExecPlan& p, void const* arg) {
            run_body(p, *static_cast<std::function<int()> const*>(arg));
        },
        &body);
    if (!pid)
        return pid.error();
    return Child(*pid);
}

std::vector<char*> exec_vector(std::vector<std::string> const& strings)
{
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (auto const& s : strings)
        out.push_back(const_cast<char*>(s.c_str()));
    out.push_back(nullptr);
    return out;
}

namespace {

// The disposition the kernel holds for sig, also for glibc's internal signals, which
// sigaction() refuses: the system call itself, with the kernel's struct (x86-64 and the
// other 64-bit ports: handler, flags, restorer, an 8-byte mask).
bool ignored_by_kernel(int sig)
{
    struct {
        void (*handler)(int);
        unsigned long flags;
        void (*restorer)();
        unsigned long mask;
    } old {};
    return ::syscall(SYS_rt_sigaction, sig, nullptr, &old, sizeof old.mask) == 0
        && old.handler == SIG_IGN;
}

} // namespace

sigset_t spawn_default_signals()
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    // glibc reserves the signals from the kernel's first real-time signal (__SIGRTMIN, 32)
    // up to its SIGRTMIN (34) and its posix_spawn sets them to SIG_IGN in the new program.
    // A fork leaves them as they are: default, unless this process inherited them ignored.
    // sigaddset refuses them, so their bits are set directly: sigset_t is the kernel's
    // mask there, signal n being bit n - 1.
    constexpr size_t kBits = 8 * sizeof(unsigned long);
    auto* words = reinterpret_cast<unsigned long*>(&set);
    for (int sig = __SIGRTMIN; sig < SIGRTMIN; ++sig)
        if (!ignored_by_kernel(sig))
            words[size_t(sig - 1) / kBits] |= 1UL << (size_t(sig - 1) % kBits);
    return set;
}

Child::Child(Child&& other) noexcept
    : m_pid(other.release())
{
}

Child& Child::operator=(Child&& other) noexcept
{
    if (this != &other) {
        reap_if_exited();
        m_pid = other.release();
    }
    return *this;
}

Child::~Child()
{
    reap_if_exited();
}

void Child::reap_if_exited()
{
    if (m_pid > 0) {
        int wstat;
        ::waitpid(m_pid, &wstat, WNOHANG);
    }
    m_pid = -1;
}

pid_t Child::release()
{
    pid_t pid = m_pid;
    m_pid = -1;
    return pid;
}

Result<ExitStatus> Child::wait()
{
    if (m_pid <= 0)
        return Error { ECHILD, "no child to wait for" };
    auto status = wait_exitcode(m_pid);
    if (status || status.error().errnum == ECHILD)
        m_pid = -1;
    return status;
}

Status Child::kill(int sig)
{
    if (m_pid <= 0)
        return Error { ESRCH, "unable to kill child" };
    if (::kill(m_pid, sig) == -1)
        return Error::from_errno("unable to kill child");
    return {};
}

Result<ExitStatus> wait_exitcode(pid_t pid)
{
    int wstat = 0;
    for (;;) {
        pid_t got = ::waitpid(pid, &wstat, 0);
        if (got == pid)
            break;
        if (got == -1 && errno == EINTR)
            continue;
        return Error::from_errno("unable to wait for child");
    }
    if (WIFSIGNALED(wstat))
        return ExitStatus { true, WTERMSIG(wstat) };
    return ExitStatus { false, WEXITSTATUS(wstat) };
}

} // namespace mta
