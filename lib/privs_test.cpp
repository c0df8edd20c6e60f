#include "privs.hpp"
#include "process.hpp"

#include <catch2/catch.hpp>

#include <grp.h>
#include <unistd.h>

using namespace mta;

namespace {

// Runs body in a forked child and returns its exit code: the drop is irreversible, so it
// must not happen in the test process. body returns 0 when everything it checks holds.
template <class Body> int in_child(Body const& body)
{
    pid_t pid = ::fork();
    REQUIRE(pid != -1);
    if (pid == 0)
        ::_exit(body());
    auto status = wait_exitcode(pid);
    REQUIRE(status.ok());
    REQUIRE_FALSE(status->signaled);
    return status->code_or_signal;
}

} // namespace

TEST_CASE("lookup_account finds root and nobody", "[lib][privs]")
{
    auto root = lookup_account("root");
    REQUIRE(root.ok());
    CHECK(root->name == "root");
    CHECK(root->uid == 0);
    CHECK(root->gid == 0);
    CHECK(root->home == "/root");
    CHECK_FALSE(root->shell.empty());

    auto nobody = lookup_account("nobody");
    REQUIRE(nobody.ok());
    CHECK(nobody->uid != 0);
    CHECK(nobody->gid != 0);
}

TEST_CASE("a missing account or group is a plain error", "[lib][privs]")
{
    auto account = lookup_account("no-such-user-mta-test");
    REQUIRE_FALSE(account.ok());
    CHECK(account.error().errnum == 0);
    CHECK(std::string(account.error().what) == "no such account");

    auto group = lookup_group("no-such-group-mta-test");
    REQUIRE_FALSE(group.ok());
    CHECK(group.error().errnum == 0);
    CHECK(std::string(group.error().what) == "no such group");
}

TEST_CASE("lookup_group finds root", "[lib][privs]")
{
    auto gid = lookup_group("root");
    REQUIRE(gid.ok());
    CHECK(*gid == 0);
}

TEST_CASE("drop_privileges switches to nobody for good", "[lib][privs][root]")
{
    auto nobody = lookup_account("nobody");
    REQUIRE(nobody.ok());
    uid_t uid = nobody->uid;
    gid_t gid = nobody->gid;
    int code = in_child([&] {
        if (!drop_privileges(uid, gid))
            return 1;
        if (::getuid() != uid || ::geteuid() != uid || ::getgid() != gid || ::getegid() != gid)
            return 2;
        gid_t groups[4];
        if (::getgroups(4, groups) != 1 || groups[0] != gid)
            return 3;
        if (::setuid(0) != -1 || ::seteuid(0) != -1 || ::setgid(0) != -1)
            return 4;
        return 0;
    });
    CHECK(code == 0);
}

TEST_CASE("drop_privileges fails cleanly when not root", "[lib][privs][root]")
{
    auto nobody = lookup_account("nobody");
    REQUIRE(nobody.ok());
    uid_t uid = nobody->uid;
    gid_t gid = nobody->gid;
    int code = in_child([&] {
        if (!drop_privileges(uid, gid))
            return 1;
        Status again = drop_privileges(0, 0);
        if (again || again.error().errnum != EPERM)
            return 2;
        if (std::string(again.error().what) != "unable to set supplementary groups")
            return 3;
        return ::geteuid() == uid ? 0 : 4;
    });
    CHECK(code == 0);
}

TEST_CASE("drop_privileges as a normal user is refused", "[lib][privs]")
{
    if (::geteuid() == 0)
        return; // covered by the [root] cases above
    Status st = drop_privileges(0, 0);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().errnum == EPERM);
}
