#include "process.hpp"

#include "fd.hpp"
#include "privs.hpp"

#include <algorithm>
#include <csignal>
#include <fcntl.h>
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

std::vector<char*> to_pointers(std::vector<std::string> const& strings)
{
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (auto const& s : strings)
        out.push_back(const_cast<char*>(s.c_str()));
    out.push_back(nullptr);
    return out;
}

ExecPlan make_plan(std::vector<std::string> const& argv, SpawnOptions const& options)
{
    ExecPlan plan;
    plan.argv = to_pointers(argv);
    if (options.env)
        plan.envp = to_pointers(*options.env);
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

} // namespace

Result<Child> Child::spawn(std::vector<std::string> const& argv, SpawnOptions const& options)
{
    if (argv.empty())
        return Error::plain("no program to run");
    ExecPlan plan = make_plan(argv, options);
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

void ignore_sigpipe()
{
    struct sigaction action { };
    action.sa_handler = SIG_IGN;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGPIPE, &action, nullptr);
}

} // namespace mta
