// The monitor: root, between tcpserver and the two unprivileged processes of a connection.
// It reads only the login packets of the front (copied verbatim to the checker's fd 3)
// and the checker's report, and never the network.
#include "processes.hpp"

#include "auto_conf.hpp"
#include "control.hpp"
#include "env.hpp"
#include "exit_codes.hpp"
#include "fd.hpp"
#include "install_root.hpp"
#include "log.hpp"
#include "privs.hpp"
#include "process.hpp"

#include <ctime>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace pop3d {

namespace {

constexpr size_t kMaxPacket = 512;
constexpr size_t kMaxReport = 4096;

struct Setup {
    std::string root;
    std::string self; // ROOT/bin/pop3d
    std::string checker;
    std::string hostname;
    std::string remote_ip;
    mta::Credentials daemon {};
    std::vector<std::string> env;
};

struct Identity {
    std::string login;
    std::string maildir;
    mta::Credentials owner {};
};

enum class Verdict { good, bad, temporary };

Setup load_setup()
{
    Setup s;
    auto root = mta::install_root();
    if (!root)
        mta::log::fatal(mta::kExitTemp, "unable to find the install root", root.error());
    s.root = *root;
    s.self = s.root + "/bin/pop3d";
    auto checker = mta::control::read_line(s.root + "/control/checkpassword");
    if (!checker)
        mta::log::fatal(mta::kExitTemp, "control/checkpassword", checker.error());
    s.checker = checker->value_or(s.root + "/bin/auth");
    auto me = mta::control::read_line(s.root + "/control/me");
    s.hostname = me && *me ? **me : std::string("localhost");
    auto daemon = mta::lookup_account(mta::conf::kUserDaemon);
    if (!daemon)
        mta::log::fatal(
            mta::kExitTemp, "account " + std::string(mta::conf::kUserDaemon), daemon.error());
    auto nofiles = mta::lookup_group(mta::conf::kGroupNofiles);
    if (!nofiles)
        mta::log::fatal(
            mta::kExitTemp, "group " + std::string(mta::conf::kGroupNofiles), nofiles.error());
    s.daemon = { daemon->uid, *nofiles };
    s.remote_ip = mta::env_or("TCPREMOTEIP", "unknown");
    s.env = { "PATH=/usr/bin:/bin" };
    for (const char* name : { "TCPREMOTEIP", "TCPREMOTEPORT", "TCPLOCALIP", "TCPLOCALPORT",
             "ASAN_OPTIONS", "UBSAN_OPTIONS" })
        if (const char* value = ::getenv(name))
            s.env.push_back(std::string(name) + "=" + value);
    return s;
}

void log_line(std::string const& text)
{
    (void)mta::write_all(2, "pop3d: " + text + "\n");
}

// The identity the checker's report names: a home under ROOT/domains/ is a virtual
// user (msvmail); anything else must be a system account other than root.
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
        auto vmail = mta::lookup_account(mta::conf::kUserVmail);
        if (!vmail)
            return std::nullopt;
        id.owner = { vmail->uid, vmail->gid };
        id.maildir = home + "/Maildir";
        return id;
    }
    auto account = mta::lookup_account(id.login);
    if (!account || account->uid == 0)
        return std::nullopt;
    id.owner = { account->uid, account->gid };
    id.maildir = account->home + "/Maildir";
    return id;
}

Verdict check(Setup const& s, std::string const& packet, std::optional<Identity>& id)
{
    auto fd3 = mta::make_pipe();
    auto report = mta::make_pipe();
    if (!fd3 || !report)
        return Verdict::temporary;
    mta::SpawnOptions opt;
    opt.fds = { { 3, fd3->read_end.get() }, { 1, report->write_end.get() } };
    opt.env = s.env;
    opt.credentials = s.daemon;
    auto child = mta::Child::spawn({ s.checker, s.self, "--report" }, opt);
    if (!child) {
        mta::log::warn("unable to run " + s.checker, child.error());
        return Verdict::temporary;
    }
    fd3->read_end = mta::Fd();
    report->write_end = mta::Fd();
    std::string const challenge = "<" + std::to_string(::getpid()) + "."
        + std::to_string(::time(nullptr)) + "@" + s.hostname + ">";
    (void)mta::write_all(fd3->write_end.get(), packet + challenge + '\0');
    fd3->write_end = mta::Fd();
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
        return Verdict::temporary;
    if (status->code_or_signal == 1 || status->code_or_signal == 2)
        return Verdict::bad;
    if (status->code_or_signal != 0)
        return Verdict::temporary;
    id = identity_of(s, out);
    return id ? Verdict::good : Verdict::temporary;
}

void detach_from_network()
{
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null == -1 || ::dup2(null, 0) == -1 || ::dup2(null, 1) == -1)
        mta::log::fatal(mta::kExitTemp, "unable to open /dev/null", mta::Error::from_errno("open"));
    ::close(null);
}

} // namespace

int run_monitor(bool implicit_tls)
{
    if (::geteuid() != 0)
        mta::log::fatal(mta::kExitTemp,
            "must start as root (it runs its parts as msd and as "
            "the mailbox owner)");
    mta::ignore_sigpipe();
    Setup const s = load_setup();
    int ctl[2], data[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) == -1
        || ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, data) == -1)
        mta::log::fatal(
            mta::kExitTemp, "unable to make sockets", mta::Error::from_errno("socketpair"));
    mta::Fd control(ctl[0]), front_control(ctl[1]), front_data(data[0]), session_data(data[1]);
    mta::SpawnOptions opt;
    opt.fds = { { 0, 0 }, { 1, 1 }, { 3, front_control.get() }, { 4, front_data.get() } };
    opt.env = s.env;
    opt.credentials = s.daemon;
    auto front = mta::Child::spawn({ s.self, "--front", implicit_tls ? "tls" : "plain" }, opt);
    if (!front)
        mta::log::fatal(mta::kExitTemp, "unable to start the front", front.error());
    front_control = mta::Fd();
    front_data = mta::Fd();
    detach_from_network();
    std::optional<mta::Child> session;
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
        Verdict v = size_t(n) > kMaxPacket ? Verdict::bad : check(s, bytes, id);
        if (v == Verdict::good) {
            mta::SpawnOptions so;
            so.fds = { { 0, session_data.get() }, { 1, session_data.get() } };
            so.env = s.env;
            so.credentials = id->owner;
            auto started = mta::Child::spawn({ s.self, "--session", id->maildir, id->login }, so);
            if (started)
                session.emplace(std::move(*started));
            else
                v = Verdict::temporary;
        }
        log_line(std::string(v == Verdict::good ? "login"
                         : v == Verdict::bad    ? "login failed"
                                                : "login deferred")
            + " for " + login.substr(0, 100) + " from " + s.remote_ip);
        char const answer = v == Verdict::good ? 'Y' : v == Verdict::bad ? 'N' : 'T';
        if (::send(control.get(), &answer, 1, 0) != 1 || v == Verdict::good)
            break;
    }
    session_data = mta::Fd();
    control = mta::Fd();
    (void)front->wait();
    if (session)
        (void)session->wait();
    return mta::kExitOk;
}

} // namespace pop3d
