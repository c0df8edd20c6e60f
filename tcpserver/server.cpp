#include "server.hpp"

#include "cdb.hpp"
#include "connection.hpp"
#include "env.hpp"
#include "listener.hpp"
#include "log_lines.hpp"
#include "number.hpp"
#include "privs.hpp"
#include "process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <new>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace tcpserver {

void ChildTable::add(pid_t pid, std::string const& ip)
{
    m_ip_of[pid] = ip;
    ++m_per_ip[ip];
}

void ChildTable::remove(pid_t pid)
{
    auto it = m_ip_of.find(pid);
    if (it == m_ip_of.end())
        return;
    auto count = m_per_ip.find(it->second);
    if (count != m_per_ip.end() && --count->second == 0)
        m_per_ip.erase(count);
    m_ip_of.erase(it);
}

unsigned long ChildTable::count(std::string const& ip) const
{
    auto it = m_per_ip.find(ip);
    return it == m_per_ip.end() ? 0 : it->second;
}

namespace {

std::optional<unsigned long> id_number(std::string const& text)
{
    auto v = mta::parse_decimal<unsigned long>(text);
    if (!v || *v >= 0xffffffffUL)
        return std::nullopt;
    return v;
}

} // namespace

mta::Result<Ids> resolve_ids(Options const& o)
{
    Ids ids;
    if (o.group) {
        if (auto n = id_number(*o.group)) {
            if (*n)
                ids.gid = gid_t(*n);
        } else {
            auto g = mta::lookup_group(*o.group);
            if (!g)
                return g.error();
            ids.gid = *g;
        }
    }
    if (o.user) {
        if (auto n = id_number(*o.user)) {
            if (*n)
                ids.uid = uid_t(*n);
        } else {
            auto a = mta::lookup_account(*o.user);
            if (!a)
                return a.error();
            ids.uid = a->uid;
        }
    }
    return ids;
}

mta::Status drop_to(Ids const& ids)
{
    if (ids.uid && ids.gid)
        return mta::drop_privileges(*ids.uid, *ids.gid);
    if (ids.gid) {
        gid_t const g = *ids.gid;
        if (::setgroups(1, &g) == -1)
            return mta::Error::from_errno("unable to set groups");
        if (::setresgid(g, g, g) == -1)
            return mta::Error::from_errno("unable to set gid");
    }
    if (ids.uid && ::setresuid(*ids.uid, *ids.uid, *ids.uid) == -1)
        return mta::Error::from_errno("unable to set uid");
    return {};
}

namespace {

// The direct start of a connection's program: posix_spawnp (glibc: clone with CLONE_VM and
// CLONE_VFORK), so this process's page tables are not copied for a child that execs at
// once. Only when nothing the child does before exec can block or needs the child's own
// log lines: no name or ident lookup (-H -R -l NAME), no banner, and a rule (if any) that
// allows the connection. Then this process does what serve_connection() would (socket
// options, rule, environment, descriptors 0 and 1, signals) and prints the child's "pid"
// and "ok" lines. Everything else (a denial, unreadable rules, a program that cannot be
// run) returns nullopt without a child: the caller forks, and the child does it all again,
// logs and exits as before.
bool can_start_directly(Options const& o)
{
    return !o.remote_host && !o.remote_info && o.local_host && o.banner.empty();
}

// What the child would set up before exec: socket options, endpoints, rule, environment.
// nullopt when the fork path must handle the connection (unreadable rules, a denial).
std::optional<std::pair<Endpoints, mta::EnvBuilder>> prepare_directly(
    Options const& o, int fd, SocketAddress const& remote)
{
    sockaddr_storage ss {};
    socklen_t len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == -1)
        return std::nullopt;
    SocketAddress const local = describe(ss);
    if (o.kill_ip_options && !remote.v6)
        (void)::setsockopt(fd, IPPROTO_IP, IP_OPTIONS, nullptr, 0);
    int on = 1;
    if (o.nodelay)
        (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    Endpoints e;
    e.v6 = remote.v6;
    e.local_ip = local.ip;
    e.local_port = std::to_string(local.port);
    e.local_host = o.local_host;
    e.remote_ip = remote.ip;
    e.remote_port = std::to_string(remote.port);
    std::optional<mta::tcp_rules::Rule> rule;
    if (o.rules) {
        auto db = mta::Cdb::open(*o.rules);
        if (!db && (db.error().errnum != ENOENT || !o.allow_missing_rules))
            return std::nullopt;
        if (db) {
            auto found = mta::tcp_rules::lookup(*db, { e.remote_ip, std::nullopt, std::nullopt });
            if (!found || (*found && (*found)->deny))
                return std::nullopt;
            rule = std::move(*found);
        }
    }
    auto env = mta::EnvBuilder::from_current();
    if (!set_connection_env(env, e, rule))
        return std::nullopt;
    return std::make_pair(std::move(e), std::move(env));
}

// posix_spawnp of the program with the socket on 0 and 1 (the socket and the listener are
// close-on-exec), SIGPIPE, SIGCHLD, SIGTERM and glibc's internal signals at their defaults
// and no signal blocked, as serve_connection() leaves them before exec.
std::optional<pid_t> spawn_program(Options const& o, int fd, mta::EnvBuilder const& env)
{
    std::vector<char*> argv = mta::exec_vector(o.program);
    std::vector<char*> envp = mta::exec_vector(env.entries());
    posix_spawn_file_actions_t actions;
    if (::posix_spawn_file_actions_init(&actions) != 0)
        return std::nullopt;
    posix_spawnattr_t attr;
    if (::posix_spawnattr_init(&attr) != 0) {
        ::posix_spawn_file_actions_destroy(&actions);
        return std::nullopt;
    }
    sigset_t none;
    sigemptyset(&none);
    sigset_t defaults = mta::spawn_default_signals(); // SIGPIPE is ignored here
    sigaddset(&defaults, SIGCHLD); // caught here: glibc resets them anyway
    sigaddset(&defaults, SIGTERM);
    pid_t pid = -1;
    bool const ok = ::posix_spawn_file_actions_adddup2(&actions, fd, 0) == 0
        && ::posix_spawn_file_actions_adddup2(&actions, fd, 1) == 0
        && ::posix_spawnattr_setsigmask(&attr, &none) == 0
        && ::posix_spawnattr_setsigdefault(&attr, &defaults) == 0
        && ::posix_spawnattr_setflags(
               &attr, static_cast<short>(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
            == 0
        && ::posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data()) == 0;
    ::posix_spawnattr_destroy(&attr);
    ::posix_spawn_file_actions_destroy(&actions);
    return ok ? std::optional<pid_t>(pid) : std::nullopt;
}

// The endpoints go to e, for the "ok" line. Out of memory before the spawn: nullopt.
std::optional<pid_t> start_directly(
    Options const& o, int fd, SocketAddress const& remote, Endpoints& e)
{
    try {
        auto prepared = prepare_directly(o, fd, remote);
        if (!prepared)
            return std::nullopt;
        auto pid = spawn_program(o, fd, prepared->second); // allocates only before spawning
        if (pid)
            e = std::move(prepared->first);
        return pid;
    } catch (std::bad_alloc const&) {
        return std::nullopt;
    }
}

volatile sig_atomic_t g_child = 0;
volatile sig_atomic_t g_term = 0;

void on_child(int)
{
    g_child = 1;
}
void on_term(int)
{
    g_term = 1;
}

class Loop {
public:
    Loop(Options const& o, mta::Fd listener)
        : m_options(o)
        , m_listener(std::move(listener))
    {
    }

    int run();

private:
    void say(std::string line) const;
    void status() const;
    void reap();
    void accept_one();
    void start_child(mta::Fd socket, SocketAddress const& remote);

    Options const& m_options;
    mta::Fd m_listener;
    ChildTable m_children;
    bool m_pause = false; // out of descriptors or memory: wait a little before accepting
};

void Loop::say(std::string line) const
{
    line += '\n';
    (void)mta::write_all(2, line);
}

void Loop::status() const
{
    if (m_options.verbosity >= 2)
        say(status_line(m_children.size(), m_options.limit));
}

void Loop::reap()
{
    int wstat = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &wstat, WNOHANG)) > 0) {
        if (m_options.verbosity >= 2)
            say(end_line(pid, wstat));
        m_children.remove(pid);
        status();
    }
}

void Loop::start_child(mta::Fd socket, SocketAddress const& remote)
{
    if (can_start_directly(m_options)) {
        Endpoints e;
        if (auto pid = start_directly(m_options, socket.get(), remote, e)) {
            m_children.add(*pid, remote.ip);
            status(); // then the lines a forked child would print, in its usual order
            if (m_options.verbosity >= 2)
                say(pid_line(*pid, remote.ip) + '\n' + verdict_line(false, *pid, e));
            return;
        }
    }
    pid_t pid = ::fork();
    if (pid == 0) {
        (void)m_listener.close();
        serve_connection(m_options, std::move(socket));
    }
    if (pid == -1) {
        if (m_options.verbosity >= 1)
            say(std::string("tcpserver: warning: dropping connection, unable to fork: ")
                + std::strerror(errno));
        return;
    }
    m_children.add(pid, remote.ip);
    status();
}

void Loop::accept_one()
{
    sockaddr_storage ss {};
    socklen_t len = sizeof ss;
    mta::Fd socket(
        ::accept4(m_listener.get(), reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC));
    if (!socket.valid()) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            if (m_options.verbosity >= 1)
                say(std::string("tcpserver: warning: unable to accept: ") + std::strerror(errno));
            m_pause = true;
        }
        return;
    }
    SocketAddress const remote = describe(ss);
    std::string const& ip = remote.ip;
    if (m_options.per_ip && m_children.count(ip) >= m_options.per_ip) {
        if (m_options.verbosity >= 2)
            say(perip_line(m_children.count(ip), m_options.per_ip, ip));
        return; // the socket closes here: no child, no bytes
    }
    start_child(std::move(socket), remote);
}

int Loop::run()
{
    sigset_t unblocked;
    ::sigprocmask(SIG_SETMASK, nullptr, &unblocked);
    sigdelset(&unblocked, SIGCHLD);
    sigdelset(&unblocked, SIGTERM);
    status();
    for (;;) {
        reap();
        if (g_term)
            return 0;
        bool const accepting = m_children.size() < m_options.limit && !m_pause;
        pollfd pfd { m_listener.get(), POLLIN, 0 };
        timespec const pause { 0, 100L * 1000 * 1000 };
        int rc = ::ppoll(
            accepting ? &pfd : nullptr, accepting ? 1 : 0, m_pause ? &pause : nullptr, &unblocked);
        m_pause = false;
        if (rc > 0 && accepting && !g_term)
            accept_one();
        g_child = 0;
    }
}

} // namespace

int serve(Options const& options, mta::Fd listener)
{
    struct sigaction sa { };
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_child;
    sa.sa_flags = SA_NOCLDSTOP;
    ::sigaction(SIGCHLD, &sa, nullptr);
    sa.sa_handler = on_term;
    sa.sa_flags = 0;
    ::sigaction(SIGTERM, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    sigset_t blocked;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGCHLD);
    sigaddset(&blocked, SIGTERM);
    ::sigprocmask(SIG_BLOCK, &blocked, nullptr);
    Loop loop(options, std::move(listener));
    return loop.run();
}

} // namespace tcpserver
