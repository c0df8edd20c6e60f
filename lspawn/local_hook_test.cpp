#include "local_hook.hpp"

#include "auto_conf.hpp"
#include "fd.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

extern char** environ;

using mta::test::TempDir;

namespace {

class FakeAccounts final : public mta::AccountSource {
public:
    std::map<std::string, mta::Account> accounts;
    std::map<std::string, uid_t> directories;

    void add(std::string const& name, uid_t uid, std::string const& home)
    {
        accounts[name] = mta::Account { name, uid, uid + 100, home, "/bin/sh" };
        directories[home] = uid;
    }
    mta::Result<std::optional<mta::Account>> find(std::string const& name) const override
    {
        auto it = accounts.find(name);
        if (it == accounts.end())
            return std::optional<mta::Account>();
        return std::optional<mta::Account>(it->second);
    }
    mta::Result<std::optional<uid_t>> directory_owner(std::string const& path) const override
    {
        auto it = directories.find(path);
        if (it == directories.end())
            return std::optional<uid_t>();
        return std::optional<uid_t>(it->second);
    }
};

// Runs hook.start for recipient with a message file and returns the immediate result.
std::string immediate(lspawn::LocalHook& hook, std::string const& recipient)
{
    auto pipe = mta::make_pipe();
    REQUIRE(pipe.ok());
    auto started = hook.start(0, "s@x", recipient, pipe->write_end.get());
    REQUIRE(std::holds_alternative<std::string>(started));
    return std::get<std::string>(started);
}

} // namespace

TEST_CASE("a recipient is split at its last @", "[lspawn]")
{
    using P = std::pair<std::string, std::string>;
    CHECK(lspawn::split_recipient("joe@example.org") == P { "joe", "example.org" });
    CHECK(lspawn::split_recipient("a@b@c.example") == P { "a@b", "c.example" });
    CHECK(lspawn::split_recipient("@example.org") == P { "", "example.org" });
    CHECK(lspawn::split_recipient("joe@") == P { "joe", "" });
    CHECK(lspawn::split_recipient("joe") == P { "joe", "" });
}

TEST_CASE("local's exit becomes K, Z or D as qmail-lspawn maps it", "[lspawn]")
{
    struct Case {
        mta::ExitStatus status;
        std::string want;
    };
    Case const cases[] = {
        { { false, 0 }, "Kdid 1+0+0\n" },
        { { false, 111 }, "Zdid 1+0+0\n" },
        { { false, 71 }, "Zdid 1+0+0\n" },
        { { false, 74 }, "Zdid 1+0+0\n" },
        { { false, 75 }, "Zdid 1+0+0\n" },
        { { false, 100 }, "Ddid 1+0+0\n" },
        { { false, 1 }, "Ddid 1+0+0\n" },
        { { false, 99 }, "Ddid 1+0+0\n" },
        { { false, 112 }, "Ddid 1+0+0\n" },
        { { false, 120 }, "ZUnable to run local.\n" },
        { { true, 9 }, "Zlocal crashed.\n" },
        { { true, 11 }, "Zlocal crashed.\n" },
    };
    for (auto const& c : cases) {
        INFO("signaled " << c.status.signaled << " code " << c.status.code_or_signal);
        CHECK(lspawn::report_local(c.status, "did 1+0+0\n") == c.want);
    }
    CHECK(lspawn::report_local({ false, 0 }, "") == "K");
    CHECK(lspawn::report_local({ false, 100 }, std::string_view("no\0more", 7)) == "Dno");
}

TEST_CASE("lookup failures are temporary and say what failed", "[lspawn]")
{
    CHECK(lspawn::report_lookup_failure(mta::Error::plain("not allowed to deliver as root"))
        == "ZNot allowed to perform deliveries as root.\n");
    CHECK(lspawn::report_lookup_failure(mta::Error::plain("no alias account"))
        == "ZUnable to find alias user!\n");
    CHECK(lspawn::report_lookup_failure(mta::Error::plain("corrupt cdb file"))
        == "ZTrouble reading users/cdb in lspawn: corrupt cdb file. (#4.3.0)\n");
    CHECK(lspawn::report_lookup_failure(mta::Error { EIO, "unable to look up account" })
        == "ZTemporary failure in lspawn: unable to look up account: Input/output error. "
           "(#4.3.0)\n");
}

TEST_CASE("local gets qmail-lspawn's arguments", "[lspawn]")
{
    mta::Delivery d { "joe", 1000, 1000, "/home/joe", "-", "List" };
    CHECK(lspawn::local_arguments("/ms", d, "Joe-List", "x.example", "s@y", "./Maildir/")
        == std::vector<std::string> { "/ms/bin/local", "--", "joe", "/home/joe", "Joe-List", "-",
            "List", "x.example", "s@y", "./Maildir/" });
}

TEST_CASE("the alias account's home is the install's alias folder", "[lspawn]")
{
    FakeAccounts fake;
    fake.add(mta::conf::kUserAlias, 900, "/somewhere/else/alias");
    fake.add("joe", 1000, "/home/joe");
    lspawn::AliasHome accounts("/ms", fake);
    auto alias = accounts.find(mta::conf::kUserAlias);
    REQUIRE(alias.ok());
    REQUIRE(alias->has_value());
    CHECK((*alias)->home == "/ms/alias");
    auto joe = accounts.find("joe");
    REQUIRE(joe.ok());
    CHECK((*joe)->home == "/home/joe");
    auto none = accounts.find("nobody-here");
    REQUIRE(none.ok());
    CHECK_FALSE(none->has_value());
    auto owner = accounts.directory_owner("/home/joe");
    REQUIRE(owner.ok());
    CHECK(**owner == 1000);
}

TEST_CASE("lspawn answers without running local when it cannot or need not", "[lspawn]")
{
    TempDir root;
    REQUIRE(::mkdir(root.file("users").c_str(), 0755) == 0);
    FakeAccounts fake;
    lspawn::LocalHook hook(root.path(), "./Maildir/", fake);

    CHECK(immediate(hook, "@x.example") == "KEmpty local part: nothing to deliver.\n");
    CHECK(immediate(hook, "joe@x.example") == "ZUnable to find alias user!\n");
    fake.add(mta::conf::kUserAlias, 0, "/alias-of-root");
    CHECK(immediate(hook, "joe@x.example") == "ZNot allowed to perform deliveries as root.\n");
    root.write("users/cdb", "not a cdb");
    CHECK(immediate(hook, "joe@x.example")
        == "ZTrouble reading users/cdb in lspawn: corrupt cdb file. (#4.3.0)\n");
}

namespace {

// A delivery body that describes the process it runs in, one item per line on fd 1, says
// "err" on fd 2, and exits 111: what a test sees of the child's state.
int describe_process(std::vector<std::string> const& argv)
{
    std::string out;
    for (auto const& arg : argv)
        out += arg + (&arg == &argv.back() ? "\n" : " ");
    out += std::to_string(::getuid()) + " " + std::to_string(::geteuid()) + "\n";
    gid_t groups[8];
    int const count = ::getgroups(8, groups);
    out += std::to_string(::getgid()) + " groups";
    for (int i = 0; i < count; ++i)
        out += " " + std::to_string(groups[i]);
    char cwd[4096];
    out += std::string("\n") + (::getcwd(cwd, sizeof cwd) ? cwd : "?") + "\n";
    out += "fds";
    for (int fd = 0; fd < 1024; ++fd)
        if (::fcntl(fd, F_GETFD) != -1)
            out += " " + std::to_string(fd);
    out += "\n";
    auto comm = mta::read_file("/proc/self/comm", 100);
    out += "comm " + (comm ? *comm : "?");
    out += "dumpable " + std::to_string(::prctl(PR_GET_DUMPABLE)) + "\n";
    sigset_t blocked;
    ::sigprocmask(SIG_SETMASK, nullptr, &blocked);
    out += "usr1 blocked " + std::to_string(sigismember(&blocked, SIGUSR1)) + "\n";
    for (int sig : { SIGTERM, SIGPIPE, SIGUSR2 }) {
        struct sigaction action { };
        ::sigaction(sig, nullptr, &action);
        out += std::string(sigabbrev_np(sig)) + " "
            + (action.sa_handler == SIG_DFL        ? "default"
                    : action.sa_handler == SIG_IGN ? "ignored"
                                                   : "caught")
            + "\n";
    }
    char buf[256];
    ssize_t const n = ::read(0, buf, sizeof buf);
    out += "message " + std::string(buf, n > 0 ? static_cast<size_t>(n) : 0);
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e)
        env.emplace_back(*e);
    std::sort(env.begin(), env.end());
    for (auto const& e : env)
        out += e + "\n";
    (void)mta::write_all(1, out);
    (void)mta::write_all(2, "err\n");
    return 111;
}

void on_signal(int)
{
}

// lspawn's signal state for a test (restored on destruction): a handler for SIGTERM,
// SIGPIPE and SIGUSR2 ignored, SIGUSR1 blocked.
class ParentSignals {
public:
    ParentSignals()
    {
        struct sigaction caught { };
        caught.sa_handler = on_signal;
        struct sigaction ignored { };
        ignored.sa_handler = SIG_IGN;
        ::sigaction(SIGTERM, &caught, &m_term);
        ::sigaction(SIGPIPE, &ignored, &m_pipe);
        ::sigaction(SIGUSR2, &ignored, &m_usr2);
        sigset_t usr1;
        sigemptyset(&usr1);
        sigaddset(&usr1, SIGUSR1);
        ::sigprocmask(SIG_BLOCK, &usr1, &m_mask);
    }
    ~ParentSignals()
    {
        ::sigaction(SIGTERM, &m_term, nullptr);
        ::sigaction(SIGPIPE, &m_pipe, nullptr);
        ::sigaction(SIGUSR2, &m_usr2, nullptr);
        ::sigprocmask(SIG_SETMASK, &m_mask, nullptr);
    }
    ParentSignals(ParentSignals const&) = delete;
    ParentSignals& operator=(ParentSignals const&) = delete;

private:
    struct sigaction m_term { };
    struct sigaction m_pipe { };
    struct sigaction m_usr2 { };
    sigset_t m_mask;
};

struct Ended {
    mta::ExitStatus status;
    std::string output;
};

// hook.start for recipient with the message file, then the child's output and exit.
Ended deliver(lspawn::LocalHook& hook, std::string const& message, std::string const& recipient)
{
    auto msg = mta::open_read(message);
    REQUIRE(msg.ok());
    auto pipe = mta::make_pipe();
    REQUIRE(pipe.ok());
    auto started = hook.start(msg->get(), "s@y", recipient, pipe->write_end.get());
    if (std::holds_alternative<std::string>(started))
        FAIL(std::get<std::string>(started));
    REQUIRE(pipe->write_end.close().ok());
    (void)msg->close();
    Ended ended;
    char buf[4096];
    for (ssize_t n; (n = ::read(pipe->read_end.get(), buf, sizeof buf)) > 0;)
        ended.output.append(buf, static_cast<size_t>(n));
    auto status = std::get<mta::Child>(started).wait();
    REQUIRE(status.ok());
    ended.status = *status;
    return ended;
}

} // namespace

TEST_CASE("a delivery child has the process state exec of bin/local gave it", "[lspawn][root]")
{
    TempDir root;
    REQUIRE(::chmod(root.path().c_str(), 0755) == 0);
    REQUIRE(::mkdir(root.file("home").c_str(), 0755) == 0);
    std::string message = root.write("message", "the message\n");
    FakeAccounts fake;
    fake.add("joe", 65534, root.file("home"));
    Ended ended;
    {
        ParentSignals lspawn_like; // before the hook: it notes the caught signals once
        lspawn::LocalHook hook(root.path(), "./Maildir/", fake, describe_process);
        ended = deliver(hook, message, "joe-Ext@x.example");
    }
    CHECK(ended.status.exited_with(111));
    std::string const want = root.file("bin/local") + " -- joe " + root.file("home")
        + " joe-Ext - Ext x.example s@y ./Maildir/\n65534 65534\n65634 groups 65634\n"
        + root.file("home")
        + "\nfds 0 1 2\ncomm local\ndumpable 0\nusr1 blocked 0\nTERM default\nPIPE "
          "default\nUSR2 ignored\nmessage the message\n";
    CHECK(ended.output.substr(0, want.size()) == want);
    // exactly lspawn's delivery environment (sorted), then what went to fd 2
    std::vector<std::string> sorted = mta::delivery_environment();
    std::sort(sorted.begin(), sorted.end());
    std::string want_env;
    for (auto const& e : sorted)
        want_env += e + "\n";
    CHECK(ended.output.substr(std::min(want.size(), ended.output.size())) == want_env + "err\n");
    CHECK(
        lspawn::report_local(ended.status, ended.output).substr(0, want.size() + 1) == "Z" + want);
}

TEST_CASE("a delivery child runs local's delivery as the account", "[lspawn][root]")
{
    TempDir root;
    REQUIRE(::chmod(root.path().c_str(), 0755) == 0);
    std::string const home = root.file("home");
    for (char const* dir : { "", "/Maildir", "/Maildir/tmp", "/Maildir/new", "/Maildir/cur" }) {
        REQUIRE(::mkdir((home + dir).c_str(), 0700) == 0);
        REQUIRE(::chown((home + dir).c_str(), 65534, 65634) == 0);
    }
    std::string message = root.write("message", "Subject: x\n\nthe message\n");
    FakeAccounts fake;
    fake.add("joe", 65534, home);
    lspawn::LocalHook hook(root.path(), "./Maildir/", fake);
    Ended const ended = deliver(hook, message, "joe@x.example");
    CHECK(ended.status.exited_ok());
    CHECK(ended.output == "did 1+0+0\n");
    CHECK(hook.report(ended.status, ended.output) == "Kdid 1+0+0\n");
    auto names = mta::list_directory(home + "/Maildir/new");
    REQUIRE(names.ok());
    REQUIRE(names->size() == 1);
    std::string const path = home + "/Maildir/new/" + names->front();
    auto stored = mta::read_file(path, 4096);
    REQUIRE(stored.ok());
    CHECK(
        *stored == "Return-Path: <s@y>\nDelivered-To: joe@x.example\nSubject: x\n\nthe message\n");
    struct stat st;
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK(st.st_uid == 65534);
    CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE(
    "a delivery child that crashes or throws is a crash, never back in lspawn", "[lspawn][root]")
{
    TempDir root;
    REQUIRE(::chmod(root.path().c_str(), 0755) == 0);
    REQUIRE(::mkdir(root.file("home").c_str(), 0755) == 0);
    std::string message = root.write("message", "the message\n");
    FakeAccounts fake;
    fake.add("joe", 65534, root.file("home"));
    pid_t const me = ::getpid();
    lspawn::LocalHook segv(root.path(), "./Maildir/", fake, [](auto const&) {
        ::raise(SIGSEGV);
        return 0;
    });
    Ended ended = deliver(segv, message, "joe@x.example");
    CHECK(ended.status.killed_by(SIGSEGV));
    CHECK(segv.report(ended.status, ended.output) == "Zlocal crashed.\n");
    lspawn::LocalHook thrower(root.path(), "./Maildir/", fake, [](auto const&) -> int {
        throw 42; // not a std::exception: run_main does not catch it
    });
    ended = deliver(thrower, message, "joe@x.example");
    CHECK(::getpid() == me); // the child did not unwind into this process's code
    CHECK(ended.status.killed_by(SIGABRT));
    CHECK(thrower.report(ended.status, ended.output) == "Zlocal crashed.\n");
}
