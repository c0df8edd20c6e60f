#include "login_monitor.hpp"

#include "auto_conf.hpp"
#include "control.hpp"
#include "env.hpp"
#include "fd.hpp"
#include "install_root.hpp"
#include "privs.hpp"
#include "process.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <optional>
#include <sys/socket.h>
#include <unistd.h>

namespace mta::login {

namespace {

constexpr size_t kMaxReport = 4096;

struct Setup {
    std::string root;
    std::string self;
    std::string checker;
    std::string hostname;
    std::string remote_ip;
    Credentials daemon {};
    std::vector<std::string> env;
};

struct Identity {
    std::string login;
    std::string maildir;
    Credentials owner {};
};

Result<Setup> load_setup(std::string const& program)
{
    Setup s;
    auto root = install_root();
    if (!root)
        return root.error();
    s.root = *root;
    s.self = s.root + "/bin/" + program;
    auto checker = control::read_line(s.root + "/control/checkpassword");
    if (!checker)
        return checker.error();
    s.checker = checker->value_or(s.root + "/bin/auth");
    auto me = control::read_line(s.root + "/control/me");
    s.hostname = me && *me ? **me : std::string("localhost");
    auto daemon = lookup_account(conf::kUserDaemon);
    if (!daemon)
        return daemon.error();
    auto nofiles = lookup_group(conf::kGroupNofiles);
    if (!nofiles)
        return nofiles.error();
    s.daemon = { daemon->uid, *nofiles };
    s.remote_ip = env_or("TCPREMOTEIP", "unknown");
    s.env = { "PATH=/usr/bin:/bin" };
    for (const char* name : { "TCPREMOTEIP", "TCPREMOTEPORT", "TCPLOCALIP", "TCPLOCALPORT",
             "ASAN_OPTIONS", "UBSAN_OPTIONS" })
        if (const char* value = ::getenv(name))
            s.env.push_back(std::string(name) + "=" + value);
    return s;
}

// A home under ROOT/domains/ is a virtual user (msvmail); anything else must be a system
// account other than root.
std::optional<Identity> identity_of(Setup const& s, std::string const& report)
{
    size_t const a = report.find('\0');
    size_t const b = a == std::string::npos ? a : report.find('\0', a + 1);
    if (b == std::string::npos)
        return std::nullopt;
    Identity id;
    id.login = report.substr(0, a);
    std::string const home = report.substr(a + 1, b - a - 1);
    std::string const domains = s.root + "/domains/";
    if (home.compare(0, domains.size(), domains) == 0 && home.find("/..") == std::string::npos) {
        auto vmail = lookup_account(conf::kUserVmail);
        if (!vmail)
            return std::nullopt;
        id.owner = { vmail->uid, vmail->gid };
        id.maildir = home + "/Maildir";
        return id;
    }
    auto account = lookup_account(id.login);
    if (!account || account->uid == 0)
        return std::nullopt;
    id.owner = { account->uid, account->gid };
    id.maildir = account->home + "/Maildir";
    return id;
}

// The checkpassword program's report, up to its end, an error or kMaxReport bytes.
std::string read_report(int fd)
{
    std::string out;
    char buf[512];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) != 0) {
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1 || out.size() + size_t(n) > kMaxReport)
            break;
        out.append(buf, size_t(n));
    }
    return out;
}

Answer check(Setup const& s, MonitorOptions const& options, std::string const& packet,
    std::optional<Identity>& id)
{
    auto fd3 = make_pipe();
    auto report = make_pipe();
    if (!fd3 || !report)
        return Answer::temporary;
    SpawnOptions opt;
    opt.fds = { { 3, fd3->read_end.get() }, { 1, report->write_end.get() } };
    opt.env = s.env;
    opt.credentials = s.daemon;
    auto child = Child::spawn({ s.checker, s.self, "--report" }, opt);
    if (!child) {
        if (options.warn)
            options.warn("unable to run " + s.checker, child.error());
        return Answer::temporary;
    }
    fd3->read_end = Fd();
    report->write_end = Fd();
    std::string const challenge = "<" + std::to_string(::getpid()) + "."
        + std::to_string(::time(nullptr)) + "@" + s.hostname + ">";
    (void)write_all(fd3->write_end.get(), packet + challenge + '\0');
    fd3->write_end = Fd();
    std::string const out = read_report(report->read_end.get());
    auto status = child->wait();
    if (!status || status->signaled)
        return Answer::temporary;
    if (status->code_or_signal == 1 || status->code_or_signal == 2)
        return Answer::bad;
    if (status->code_or_signal != 0)
        return Answer::temporary;
    id = identity_of(s, out);
    return id ? Answer::good : Answer::temporary;
}

// The monitor's ends of the sockets to the front: `control` (SEQPACKET, the login
// questions) and `session_data` (the stream the session gets as fd 0/1).
struct FrontLinks {
    Fd control;
    Fd session_data;
};

// The front as msd, with fd 0/1 (the client), kMonitorFd and kSessionFd.
Result<Child> start_front(Setup const& s, MonitorOptions const& options, FrontLinks& links)
{
    int ctl[2], data[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) == -1)
        return Error::from_errno("unable to make sockets");
    links.control = Fd(ctl[0]);
    Fd front_control(ctl[1]);
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, data) == -1)
        return Error::from_errno("unable to make sockets");
    Fd front_data(data[0]);
    links.session_data = Fd(data[1]);
    SpawnOptions opt;
    opt.fds = { { 0, 0 }, { 1, 1 }, { kMonitorFd, front_control.get() },
        { kSessionFd, front_data.get() } };
    opt.env = s.env;
    opt.credentials = s.daemon;
    return Child::spawn({ s.self, "--front", options.implicit_tls ? "tls" : "plain" }, opt);
}

// The monitor never touches the network: fd 0 and 1 become /dev/null.
Status detach_from_network()
{
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null == -1 || ::dup2(null, 0) == -1 || ::dup2(null, 1) == -1)
        return Error::from_errno("unable to open /dev/null");
    ::close(null);
    return {};
}

// The session of a good login, as the mailbox owner with fd 0/1 on session_data.
std::optional<Child> start_session(Setup const& s, Identity const& id, Fd const& session_data)
{
    SpawnOptions so;
    so.fds = { { 0, session_data.get() }, { 1, session_data.get() } };
    so.env = s.env;
    so.credentials = id.owner;
    auto started = Child::spawn({ s.self, "--session", id.maildir, id.login }, so);
    if (!started)
        return std::nullopt;
    return std::move(*started);
}

char const* outcome_text(Answer v)
{
    return v == Answer::good ? "login" : v == Answer::bad ? "login failed" : "login deferred";
}

// One login question (the packet as received): the checkpassword program's answer and,
// for a good login, its session (one that cannot start makes the answer temporary).
Answer answer_login(Setup const& s, MonitorOptions const& options, std::string const& bytes,
    Fd const& session_data, std::optional<Child>& session)
{
    std::string const login = bytes.substr(0, bytes.find('\0'));
    std::optional<Identity> id;
    Answer v = bytes.size() > kMaxLoginPacket ? Answer::bad : check(s, options, bytes, id);
    if (v == Answer::good) {
        session = start_session(s, *id, session_data);
        if (!session)
            v = Answer::temporary;
    }
    if (options.log)
        options.log(
            std::string(outcome_text(v)) + " for " + login.substr(0, 100) + " from " + s.remote_ip);
    return v;
}

// Answers the front's login questions until a good one (its session is returned), a
// lost answer or the front's end.
std::optional<Child> serve_logins(
    Setup const& s, MonitorOptions const& options, FrontLinks const& links)
{
    char packet[kMaxLoginPacket + 1];
    for (;;) {
        ssize_t n = ::recv(links.control.get(), packet, sizeof packet, 0);
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0)
            return std::nullopt;
        std::string const bytes(packet, size_t(n));
        std::fill(packet, packet + sizeof packet, '\0');
        std::optional<Child> session;
        Answer const v = answer_login(s, options, bytes, links.session_data, session);
        char const answer = v == Answer::good ? 'Y' : v == Answer::bad ? 'N' : 'T';
        if (::send(links.control.get(), &answer, 1, 0) != 1 || v == Answer::good)
            return session;
    }
}

} // namespace

Result<int> run_monitor(MonitorOptions const& options)
{
    if (::geteuid() != 0)
        return Error { EPERM, "must start as root" };
    auto setup = load_setup(options.program);
    if (!setup)
        return setup.error();
    FrontLinks links;
    auto front = start_front(*setup, options, links);
    if (!front)
        return front.error();
    if (auto st = detach_from_network(); !st)
        return st.error();
    std::optional<Child> session = serve_logins(*setup, options, links);
    links.session_data = Fd();
    links.control = Fd();
    (void)front->wait();
    if (session)
        (void)session->wait();
    return 0;
}

int run_report()
{
    const char* user = std::getenv("USER");
    const char* home = std::getenv("HOME");
    if (!user || !home)
        return 111;
    std::string out = std::string(user) + '\0' + home + '\0';
    return write_all(1, out) ? 0 : 111;
}

bool is_loopback(std::string_view ip)
{
    if (ip.rfind("::ffff:", 0) == 0)
        ip.remove_prefix(7);
    return ip == "::1" || ip.rfind("127.", 0) == 0;
}

} // namespace mta::login
