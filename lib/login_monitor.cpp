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
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace mta::login {

namespace {

constexpr size_t kMaxPacket = 512;
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
    std::string out;
    char buf[512];
    ssize_t n;
    while ((n = ::read(report->read_end.get(), buf, sizeof buf)) != 0) {
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1 || out.size() + size_t(n) > kMaxReport)
            break;
        out.append(buf, size_t(n));
    }
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

} // namespace

Result<int> run_monitor(MonitorOptions const& options)
{
    if (::geteuid() != 0)
        return Error { EPERM, "must start as root" };
    auto setup = load_setup(options.program);
    if (!setup)
        return setup.error();
    Setup const& s = *setup;
    int ctl[2], data[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) == -1)
        return Error::from_errno("unable to make sockets");
    Fd control(ctl[0]), front_control(ctl[1]);
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, data) == -1)
        return Error::from_errno("unable to make sockets");
    Fd front_data(data[0]), session_data(data[1]);
    SpawnOptions opt;
    opt.fds = { { 0, 0 }, { 1, 1 }, { kMonitorFd, front_control.get() },
        { kSessionFd, front_data.get() } };
    opt.env = s.env;
    opt.credentials = s.daemon;
    auto front = Child::spawn({ s.self, "--front", options.implicit_tls ? "tls" : "plain" }, opt);
    if (!front)
        return front.error();
    front_control = Fd();
    front_data = Fd();
    // The monitor never touches the network.
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null == -1 || ::dup2(null, 0) == -1 || ::dup2(null, 1) == -1)
        return Error::from_errno("unable to open /dev/null");
    ::close(null);
    std::optional<Child> session;
    char packet[kMaxPacket + 1];
    for (;;) {
        ssize_t n = ::recv(control.get(), packet, sizeof packet, 0);
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        std::string const bytes(packet, size_t(n));
        std::fill(packet, packet + sizeof packet, '\0');
        std::string const login = bytes.substr(0, bytes.find('\0'));
        std::optional<Identity> id;
        Answer v = size_t(n) > kMaxPacket ? Answer::bad : check(s, options, bytes, id);
        if (v == Answer::good) {
            SpawnOptions so;
            so.fds = { { 0, session_data.get() }, { 1, session_data.get() } };
            so.env = s.env;
            so.credentials = id->owner;
            auto started = Child::spawn({ s.self, "--session", id->maildir, id->login }, so);
            if (started)
                session.emplace(std::move(*started));
            else
                v = Answer::temporary;
        }
        if (options.log)
            options.log(std::string(v == Answer::good ? "login"
                                : v == Answer::bad    ? "login failed"
                                                      : "login deferred")
                + " for " + login.substr(0, 100) + " from " + s.remote_ip);
        char const answer = v == Answer::good ? 'Y' : v == Answer::bad ? 'N' : 'T';
        if (::send(control.get(), &answer, 1, 0) != 1 || v == Answer::good)
            break;
    }
    session_data = Fd();
    control = Fd();
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

Result<Answer> ask_monitor(std::string_view login, std::string_view password)
{
    std::string packet = std::string(login) + '\0' + std::string(password) + '\0';
    if (packet.size() > kMaxPacket || login.find('\0') != std::string_view::npos
        || password.find('\0') != std::string_view::npos)
        return Answer::bad;
    ssize_t sent = ::send(kMonitorFd, packet.data(), packet.size(), 0);
    std::fill(packet.begin(), packet.end(), '\0');
    if (sent != ssize_t(packet.size()))
        return Error::from_errno("lost the monitor");
    char answer = 0;
    ssize_t n;
    while ((n = ::recv(kMonitorFd, &answer, 1, 0)) == -1 && errno == EINTR) { }
    if (n != 1)
        return Error::plain("lost the monitor");
    return answer == 'Y' ? Answer::good : answer == 'N' ? Answer::bad : Answer::temporary;
}

Status relay(Reader& in, Writer& out)
{
    char buf[16384];
    while (in.has_buffered()) {
        auto n = in.read(buf, sizeof buf);
        if (!n || *n == 0)
            return {};
        if (auto st = write_all(kSessionFd, std::string_view(buf, *n)); !st)
            return st;
    }
    for (;;) {
        pollfd fds[2] = { { in.fd(), POLLIN, 0 }, { kSessionFd, POLLIN, 0 } };
        if (::poll(fds, 2, -1) == -1) {
            if (errno == EINTR)
                continue;
            return Error::from_errno("unable to poll");
        }
        if (fds[1].revents) {
            ssize_t n = ::read(kSessionFd, buf, sizeof buf);
            if (n == -1 && errno == EINTR)
                continue;
            if (n <= 0)
                return {};
            if (auto st = out.put(std::string_view(buf, size_t(n))); !st)
                return st;
            if (auto st = out.flush(); !st)
                return st;
        }
        if (fds[0].revents) {
            // One read: a TLS session may hold more decrypted bytes, which the loop
            // drains before polling again.
            do {
                auto n = in.read(buf, sizeof buf);
                if (!n || *n == 0)
                    return {}; // the session sees end of input
                if (auto st = write_all(kSessionFd, std::string_view(buf, *n)); !st)
                    return st;
            } while (in.has_buffered());
        }
    }
}

bool is_loopback(std::string_view ip)
{
    if (ip.rfind("::ffff:", 0) == 0)
        ip.remove_prefix(7);
    return ip == "::1" || ip.rfind("127.", 0) == 0;
}

FrontConnection::FrontConnection(int timeout)
    : in(0, timeout)
    , out(1, timeout)
    , timeout_ms(timeout)
{
}

Status FrontConnection::start_tls(tls::Context const& ctx)
{
    auto session = tls::Session::accept(ctx, 0, 1, timeout_ms);
    if (!session)
        return session.error();
    tls.emplace(std::move(*session));
    in.set_timeout(0); // the session waits by itself
    in.set_read_fn(tls->read_fn());
    out.set_write_fn(tls->write_fn());
    return {};
}

void FrontConnection::finish()
{
    (void)out.flush();
    if (tls)
        tls->shutdown();
}

Result<std::optional<tls::Context>> load_front_tls(std::string const& root)
{
    std::string const cert = root + "/control/tls/cert.pem";
    if (::access(cert.c_str(), F_OK) == -1)
        return std::optional<tls::Context> {};
    auto ctx = tls::Context::server(cert, root + "/control/tls/key.pem");
    if (!ctx)
        return ctx.error();
    return std::optional<tls::Context> { std::move(*ctx) };
}

} // namespace mta::login
