#include "server.hpp"

#include "connection.hpp"
#include "listener.hpp"
#include "log_lines.hpp"
#include "number.hpp"
#include "privs.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <grp.h>
#include <poll.h>
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
    void start_child(mta::Fd socket, std::string const& ip);

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

void Loop::start_child(mta::Fd socket, std::string const& ip)
{
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
    m_children.add(pid, ip);
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
    std::string const ip = describe(ss).ip;
    if (m_options.per_ip && m_children.count(ip) >= m_options.per_ip) {
        if (m_options.verbosity >= 2)
            say(perip_line(m_children.count(ip), m_options.per_ip, ip));
        return; // the socket closes here: no child, no bytes
    }
    start_child(std::move(socket), ip);
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
