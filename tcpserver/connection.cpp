#include "connection.hpp"

#include "cdb.hpp"
#include "ident.hpp"
#include "listener.hpp"
#include "process.hpp"
#include "tcp_rule_keys.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <resolv.h>
#include <unistd.h>
#include <vector>

namespace tcpserver {

namespace {

constexpr int kExitDrop = 111;
constexpr int kExitDeny = 100;

int g_verbosity = 1;

void say(std::string line)
{
    line += '\n';
    (void)mta::write_all(2, line);
}

[[noreturn]] void drop(std::string const& text, int errnum)
{
    if (g_verbosity >= 1)
        say("tcpserver: warning: dropping connection, " + text
            + (errnum ? std::string(": ") + std::strerror(errnum) : std::string()));
    _exit(kExitDrop);
}

// Bounds every DNS query of this child: 2 s per try, one retry per name server.
void bound_dns()
{
    if (res_init() == 0) {
        _res.retrans = 2;
        _res.retry = 1;
    }
}

sockaddr_storage to_sockaddr(SocketAddress const& a)
{
    sockaddr_storage ss {};
    if (a.v6) {
        auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
        v6->sin6_family = AF_INET6;
        ::inet_pton(AF_INET6, a.ip.c_str(), &v6->sin6_addr);
    } else {
        auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
        v4->sin_family = AF_INET;
        ::inet_pton(AF_INET, a.ip.c_str(), &v4->sin_addr);
    }
    return ss;
}

std::optional<std::string> name_of(SocketAddress const& a)
{
    sockaddr_storage ss = to_sockaddr(a);
    socklen_t len = a.v6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    char host[NI_MAXHOST];
    if (::getnameinfo(
            reinterpret_cast<sockaddr*>(&ss), len, host, sizeof host, nullptr, 0, NI_NAMEREQD)
        != 0)
        return std::nullopt;
    return clean_host_name(host);
}

// -p: the name counts only when one of its addresses is the client's.
bool maps_back(std::string const& name, SocketAddress const& a)
{
    addrinfo hints {};
    hints.ai_family = a.v6 ? AF_INET6 : AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (::getaddrinfo(name.c_str(), nullptr, &hints, &found) != 0)
        return false;
    bool match = false;
    for (addrinfo* ai = found; ai && !match; ai = ai->ai_next) {
        sockaddr_storage ss {};
        std::memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
        match = describe(ss).ip == a.ip;
    }
    ::freeaddrinfo(found);
    return match;
}

SocketAddress address_of(int fd, bool peer)
{
    sockaddr_storage ss {};
    socklen_t len = sizeof ss;
    int rc = peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len)
                  : ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    if (rc == -1)
        drop(peer ? "unable to get remote address" : "unable to get local address", errno);
    return describe(ss);
}

void set_socket_options(Options const& o, int fd, bool v6)
{
    if (o.kill_ip_options && !v6)
        (void)::setsockopt(fd, IPPROTO_IP, IP_OPTIONS, nullptr, 0);
    int on = 1;
    if (o.nodelay)
        (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

std::optional<mta::tcp_rules::Rule> find_rule(Options const& o, Endpoints const& e)
{
    if (!o.rules)
        return std::nullopt;
    auto db = mta::Cdb::open(*o.rules);
    if (!db) {
        if (db.error().errnum == ENOENT && o.allow_missing_rules)
            return std::nullopt;
        drop("unable to read " + *o.rules, db.error().errnum);
    }
    auto rule = mta::tcp_rules::lookup(*db, { e.remote_ip, e.remote_host, e.remote_info });
    if (!rule)
        drop("unable to read " + *o.rules + ": " + rule.error().what, rule.error().errnum);
    return std::move(*rule);
}

Endpoints endpoints(Options const& o, int fd, SocketAddress const& remote)
{
    SocketAddress const local = address_of(fd, false);
    Endpoints e;
    e.v6 = remote.v6;
    e.local_ip = local.ip;
    e.local_port = std::to_string(local.port);
    e.remote_ip = remote.ip;
    e.remote_port = std::to_string(remote.port);
    if (!o.local_host || o.remote_host)
        bound_dns();
    e.local_host = o.local_host ? o.local_host : name_of(local);
    if (o.remote_host) {
        e.remote_host = name_of(remote);
        if (e.remote_host && o.paranoid && !maps_back(*e.remote_host, remote))
            e.remote_host.reset();
    }
    if (o.remote_info)
        e.remote_info = ident_lookup(local, remote, o.ident_timeout);
    return e;
}

[[noreturn]] void exec_program(Options const& o, mta::Fd socket, mta::EnvBuilder const& env)
{
    int const fd = socket.release();
    if ((fd != 0 && ::dup2(fd, 0) == -1) || ::dup2(0, 1) == -1)
        drop("unable to set up descriptors", errno);
    if (fd > 1)
        ::close(fd);
    std::vector<char*> argv = mta::exec_vector(o.program);
    std::vector<char*> envp = mta::exec_vector(env.entries());
    ::signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execvpe(argv[0], argv.data(), envp.data());
    drop("unable to run " + o.program[0], errno);
}

void serve(Options const& o, mta::Fd socket)
{
    g_verbosity = o.verbosity;
    ::signal(SIGCHLD, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    int const fd = socket.get();
    SocketAddress const remote = address_of(fd, true);
    if (o.verbosity >= 2)
        say(pid_line(::getpid(), remote.ip));
    set_socket_options(o, fd, remote.v6);
    if (!o.banner.empty())
        if (auto st = mta::write_all(fd, o.banner); !st)
            drop("unable to print banner", st.error().errnum);
    Endpoints const e = endpoints(o, fd, remote);
    auto const rule = find_rule(o, e);
    bool const deny = rule && rule->deny;
    if (o.verbosity >= 2)
        say(verdict_line(deny, ::getpid(), e));
    if (deny)
        _exit(kExitDeny);
    auto env = mta::EnvBuilder::from_current();
    if (auto st = set_connection_env(env, e, rule); !st)
        drop("unable to set up the environment", st.error().errnum);
    exec_program(o, std::move(socket), env);
}

} // namespace

void serve_connection(Options const& options, mta::Fd socket)
{
    try {
        serve(options, std::move(socket));
    } catch (...) {
        static constexpr char kText[] = "tcpserver: warning: dropping connection, out of memory\n";
        if (g_verbosity >= 1)
            (void)!::write(2, kText, sizeof kText - 1);
    }
    _exit(kExitDrop);
}

std::optional<std::string> clean_host_name(std::string_view name)
{
    if (!name.empty() && name.back() == '.')
        name.remove_suffix(1);
    if (name.empty() || name.size() > 253)
        return std::nullopt;
    std::string out;
    for (char c : name) {
        if (!mta::tcp_rules::lower_host_byte(c))
            return std::nullopt;
        out += c;
    }
    return out;
}

mta::Status set_connection_env(
    mta::EnvBuilder& env, Endpoints const& e, std::optional<mta::tcp_rules::Rule> const& rule)
{
    auto put = [&](std::string_view name, std::optional<std::string> const& value) {
        if (!value) {
            env.unset(name);
            return mta::Status {};
        }
        return env.set(name, *value);
    };
    std::vector<std::pair<std::string, std::optional<std::string>>> vars = {
        { "PROTO", e.v6 ? "TCP6" : "TCP" },
        { "TCPLOCALIP", e.local_ip },
        { "TCPLOCALPORT", e.local_port },
        { "TCPLOCALHOST", e.local_host },
        { "TCPREMOTEIP", e.remote_ip },
        { "TCPREMOTEPORT", e.remote_port },
        { "TCPREMOTEHOST", e.remote_host },
        { "TCPREMOTEINFO", e.remote_info },
    };
    for (std::string_view name : { "TCP6LOCALIP", "TCP6LOCALPORT", "TCP6LOCALHOST", "TCP6REMOTEIP",
             "TCP6REMOTEPORT", "TCP6REMOTEHOST" })
        env.unset(name);
    if (e.v6) {
        vars.push_back({ "TCP6LOCALIP", e.local_ip });
        vars.push_back({ "TCP6LOCALPORT", e.local_port });
        vars.push_back({ "TCP6LOCALHOST", e.local_host });
        vars.push_back({ "TCP6REMOTEIP", e.remote_ip });
        vars.push_back({ "TCP6REMOTEPORT", e.remote_port });
        vars.push_back({ "TCP6REMOTEHOST", e.remote_host });
    }
    for (auto const& [name, value] : vars)
        if (auto st = put(name, value); !st)
            return st;
    if (rule)
        for (auto const& [name, value] : rule->env)
            if (auto st = env.set(name, value); !st)
                return st;
    return {};
}

} // namespace tcpserver
