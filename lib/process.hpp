// process - child processes: spawn with fd plumbing, environment, directory and
// credentials; wait for them and read their exit status (qmail's wait_pid, wait_exitcode).
//
//     auto out = mta::make_pipe();
//     if (!out) return out.error();
//     mta::SpawnOptions opt;
//     opt.fds = { { 0, message_fd }, { 1, out->write_end.get() } };
//     opt.env = std::vector<std::string> { "PATH=/usr/bin:/bin" };
//     auto child = mta::Child::spawn({ "/bin/sh", "-c", command }, opt);
//     if (!child) return child.error();
//     (void)out->write_end.close();                // keep only the child's copy
//     auto status = child->wait();                 // Result<ExitStatus>
//     if (status && status->exited_ok()) ...
//
// Errors are Result values. spawn() fails when fork fails or when the child cannot set
// itself up (descriptors, directory, credentials): it reports that step with the child's
// errno, after reaping the child. When exec itself fails the child exits with
// kExitExecFailed (120, qmail's "unable to exec" convention) and spawn() succeeds.
//
// How: spawn() without credentials uses posix_spawn (glibc: clone with CLONE_VM and
// CLONE_VFORK, so the parent's page tables are not copied: cheaper for every message a
// program hands on). posix_spawn reports a failing step or exec only as an errno, so when
// it fails spawn() starts the child again the fork way below, which tells the steps apart
// and gives the results above. With credentials, and for run(), it forks: the child sets
// itself up and reports a failure on a close-on-exec pipe.
#pragma once

#include "error.hpp"

#include <csignal>
#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace mta {

// Exit code of a child whose exec failed (qmail: 120 "unable to exec"). Kept here rather
// than in exit_codes.hpp because only spawning code produces it.
inline constexpr int kExitExecFailed = 120;

struct ExitStatus {
    bool signaled = false; // killed by a signal
    int code_or_signal = 0; // the exit code, or the signal number when signaled

    bool exited_ok() const { return !signaled && code_or_signal == 0; }
    bool exited_with(int code) const { return !signaled && code_or_signal == code; }
    bool killed_by(int sig) const { return signaled && code_or_signal == sig; }
};

// Descriptor parent_fd of the parent becomes number child_fd in the child.
struct FdMap {
    int child_fd;
    int parent_fd;
};

struct Credentials {
    uid_t uid;
    gid_t gid;
};

struct SpawnOptions {
    // Applied as one parallel assignment, so swaps like {0,1},{1,0} work. Descriptors not
    // named here are inherited unless close-on-exec (lib opens everything close-on-exec).
    std::vector<FdMap> fds;
    std::optional<std::vector<std::string>> env; // "K=V" entries; absent: inherit
    std::optional<std::string> cwd;
    std::optional<Credentials> credentials; // drop_privileges() in the child
};

// A started child. Move-only. The destructor never blocks: it reaps the child if it has
// already exited (waitpid WNOHANG) and otherwise leaves it running; it is then a zombie
// after exit until this process exits or waits for it. Call wait() to collect the status.
class Child {
public:
    Child() = default;
    Child(Child&& other) noexcept;
    Child& operator=(Child&& other) noexcept;
    Child(Child const&) = delete;
    Child& operator=(Child const&) = delete;
    ~Child();

    // argv[0] is the program's path (no PATH search). The child starts with SIGPIPE at
    // its default action and no blocked signals, whatever the parent's settings.
    static Result<Child> spawn(
        std::vector<std::string> const& argv, SpawnOptions const& options = {});
    // Runs body in a forked child instead of a program (no exec: the process image, its
    // loaded libraries and its memory are shared copy-on-write), and body's value is the
    // child's exit code (_exit: no atexit handlers, no destructors). options as for
    // spawn(), except that every descriptor not named as a child_fd is closed in the
    // child (it must not hold the parent's pipes) and the signal dispositions stay the
    // parent's. body must not throw (wrap it in run_main); it runs only in the child.
    static Result<Child> run(std::function<int()> const& body, SpawnOptions const& options = {});

    // Waits for the child to end. Afterwards pid() is -1.
    Result<ExitStatus> wait();
    Status kill(int sig);
    // -1 when empty or already waited for.
    pid_t pid() const { return m_pid; }
    // Gives up ownership: the caller waits for the pid (e.g. with wait_exitcode).
    pid_t release();

private:
    explicit Child(pid_t pid)
        : m_pid(pid)
    {
    }
    void reap_if_exited();

    pid_t m_pid = -1;
};

// The null-terminated pointer array execve and posix_spawn take (argv, envp): it points
// into strings, which must outlive it.
std::vector<char*> exec_vector(std::vector<std::string> const& strings);

// Waits for process pid to end (EINTR restarts the wait), as qmail's wait_pid.
Result<ExitStatus> wait_exitcode(pid_t pid);

// The set for posix_spawnattr_setsigdefault (with POSIX_SPAWN_SETSIGDEF) that gives a
// program started with posix_spawn the dispositions of a forked child that reset SIGPIPE:
// SIGPIPE, and glibc's two internal signals (SIGCANCEL, SIGSETXID), which glibc's
// posix_spawn otherwise leaves at SIG_IGN in the new program (unless they are ignored in
// this process, as a fork would leave them).
sigset_t spawn_default_signals();

// Sets SIGPIPE to SIG_IGN, so writes to a closed pipe or socket fail with EPIPE. Inline, so
// a program that needs only this does not link the spawning code (and, through
// drop_privileges' object, getpwnam_r: a statically linked program must not).
inline void ignore_sigpipe()
{
    struct sigaction action { };
    action.sa_handler = SIG_IGN;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGPIPE, &action, nullptr);
}

} // namespace mta
