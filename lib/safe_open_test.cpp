#include "privs.hpp"
#include "safe_open.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

using namespace mta;
using mta::test::TempDir;

namespace {

std::string refusal(Result<Fd> const& r)
{
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().errnum == 0);
    return r.error().what;
}

} // namespace

TEST_CASE("a plain file opens for reading", "[lib][safe_open]")
{
    TempDir dir;
    auto path = dir.write(".qmail", "./Maildir/\n");
    auto fd = safe_open_read(path, {});
    REQUIRE(fd.ok());
    char buf[64];
    ssize_t n = ::read(fd->get(), buf, sizeof buf);
    CHECK(std::string(buf, static_cast<size_t>(std::max<ssize_t>(n, 0))) == "./Maildir/\n");
    CHECK(safe_open_read(dir.file("missing"), {}).error().errnum == ENOENT);
}

TEST_CASE("symbolic links, hard links, fifos and directories are refused", "[lib][safe_open]")
{
    TempDir dir;
    auto target = dir.write("target", "text\n");
    REQUIRE(::symlink(target.c_str(), dir.file("symlink").c_str()) == 0);
    REQUIRE(::symlink("nowhere", dir.file("dangling").c_str()) == 0);
    REQUIRE(::mkfifo(dir.file("fifo").c_str(), 0644) == 0);
    REQUIRE(::mkdir(dir.file("dir").c_str(), 0755) == 0);

    CHECK(refusal(safe_open_read(dir.file("symlink"), {})) == "is a symbolic link");
    CHECK(refusal(safe_open_read(dir.file("dangling"), {})) == "is a symbolic link");
    CHECK(refusal(safe_open_append(dir.file("symlink"), {})) == "is a symbolic link");
    CHECK(refusal(safe_open_read(dir.file("fifo"), {})) == "not a regular file");
    CHECK(refusal(safe_open_append(dir.file("fifo"), {})) == "not a regular file");
    CHECK(refusal(safe_open_read(dir.file("dir"), {})) == "not a regular file");

    REQUIRE(::link(target.c_str(), dir.file("hardlink").c_str()) == 0);
    CHECK(refusal(safe_open_read(dir.file("hardlink"), {})) == "has more than one link");
    CHECK(refusal(safe_open_read(target, {})) == "has more than one link");
    SafeOpenRules links_ok;
    links_ok.require_single_link = false;
    CHECK(safe_open_read(target, links_ok).ok());
}

TEST_CASE("files others can write are refused", "[lib][safe_open]")
{
    TempDir dir;
    auto world = dir.write("world", "x", 0666);
    auto group = dir.write("group", "x", 0664);
    CHECK(refusal(safe_open_read(world, {})) == "is writable by others");
    CHECK(refusal(safe_open_append(world, {})) == "is writable by others");
    CHECK(safe_open_read(group, {}).ok());

    SafeOpenRules strict;
    strict.refuse_group_writable = true;
    CHECK(refusal(safe_open_read(group, strict)) == "is writable by others");
    SafeOpenRules lax;
    lax.refuse_world_writable = false;
    CHECK(safe_open_read(world, lax).ok());
}

TEST_CASE("a world-writable directory needs the sticky bit", "[lib][safe_open]")
{
    TempDir dir;
    auto path = dir.write("mbox", "text\n");
    SafeOpenRules rules;
    rules.check_directory = true;
    CHECK(safe_open_read(path, rules).ok());
    REQUIRE(::chmod(dir.path().c_str(), 0777) == 0);
    CHECK(refusal(safe_open_read(path, rules)) == "directory is writable by others");
    CHECK(safe_open_read(path, {}).ok());
    REQUIRE(::chmod(dir.path().c_str(), 01777) == 0);
    CHECK(safe_open_read(path, rules).ok());
}

TEST_CASE("safe_open_append appends and creates only when asked", "[lib][safe_open]")
{
    TempDir dir;
    auto path = dir.write("mbox", "first\n", 0600);
    auto fd = safe_open_append(path, {});
    REQUIRE(fd.ok());
    REQUIRE(write_all(fd->get(), "second\n").ok());
    REQUIRE(fd->close().ok());
    CHECK(*read_file(path, 1000) == "first\nsecond\n");

    std::string fresh = dir.file("fresh");
    CHECK(safe_open_append(fresh, {}).error().errnum == ENOENT);
    SafeOpenRules create;
    create.create_mode = 0600;
    auto created = safe_open_append(fresh, create);
    REQUIRE(created.ok());
    struct stat st;
    REQUIRE(::stat(fresh.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(safe_open_read(dir.file("never"), create).error().errnum == ENOENT);
}

TEST_CASE("a file with the wrong owner is refused", "[lib][safe_open][root]")
{
    auto nobody = lookup_account("nobody");
    REQUIRE(nobody.ok());
    TempDir dir;
    auto path = dir.write(".qmail", "text\n");
    REQUIRE(::chown(path.c_str(), nobody->uid, nobody->gid) == 0);
    SafeOpenRules root_owned;
    root_owned.owner = 0;
    CHECK(refusal(safe_open_read(path, root_owned)) == "wrong owner");
    SafeOpenRules nobody_owned;
    nobody_owned.owner = nobody->uid;
    CHECK(safe_open_read(path, nobody_owned).ok());
}
