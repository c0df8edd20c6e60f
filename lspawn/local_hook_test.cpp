#include "local_hook.hpp"

#include "auto_conf.hpp"
#include "fd.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <sys/stat.h>
#include <unistd.h>

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

TEST_CASE(
    "lspawn runs local as the account, in its home, with the message and output", "[lspawn][root]")
{
    TempDir root;
    REQUIRE(::chmod(root.path().c_str(), 0755) == 0);
    REQUIRE(::mkdir(root.file("bin").c_str(), 0755) == 0);
    REQUIRE(::mkdir(root.file("home").c_str(), 0755) == 0);
    root.write("bin/local",
        "#!/bin/sh\necho \"$@\"; id -u; id -G; pwd; cat; echo err >&2; env | sort\nexit 111\n",
        0755);
    std::string message = root.write("message", "the message\n");
    FakeAccounts fake;
    fake.add("joe", 65534, root.file("home"));
    lspawn::LocalHook hook(root.path(), "./Maildir/", fake);
    auto msg = mta::open_read(message);
    REQUIRE(msg.ok());
    auto pipe = mta::make_pipe();
    REQUIRE(pipe.ok());
    auto started = hook.start(msg->get(), "s@y", "joe-Ext@x.example", pipe->write_end.get());
    REQUIRE(std::holds_alternative<mta::Child>(started));
    REQUIRE(pipe->write_end.close().ok());
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::read(pipe->read_end.get(), buf, sizeof buf)) > 0;)
        out.append(buf, static_cast<size_t>(n));
    auto status = std::get<mta::Child>(started).wait();
    REQUIRE(status.ok());
    CHECK(status->exited_with(111));
    std::string const want = "-- joe " + root.file("home")
        + " joe-Ext - Ext x.example s@y ./Maildir/\n65534\n65634\n" + root.file("home")
        + "\nthe message\nerr\n";
    CHECK(out.substr(0, want.size()) == want);
    CHECK(out.find("PATH=") != std::string::npos);
    CHECK(hook.report(*status, out).substr(0, 8) == "Z-- joe ");
}
