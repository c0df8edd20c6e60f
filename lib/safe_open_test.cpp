#include "privs.hpp"
#include "safe_open.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

using namespace mta;

namespace {

struct SafeOpenTempDir {
    std::string path;
    SafeOpenTempDir()
    {
        char tmpl[] = "/tmp/mta-safe-open-test.XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    ~SafeOpenTempDir() { std::filesystem::remove_all(path); }

    std::string file(std::string const& name, std::string_view data = "text\n", mode_t mode = 0644)
    {
        std::string p = path + "/" + name;
        REQUIRE(write_file_atomic(p, data, mode).ok());
        REQUIRE(::chmod(p.c_str(), mode) == 0);
        return p;
    }
};

std::string refusal(Result<Fd> const& r)
{
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().errnum == 0);
    return r.error().what;
}

} // namespace

TEST_CASE("a plain file opens for reading", "[lib][safe_open]")
{
    SafeOpenTempDir dir;
    auto path = dir.file(".qmail", "./Maildir/\n");
    auto fd = safe_open_read(path, {});
    REQUIRE(fd.ok());
    char buf[64];
    ssize_t n = ::read(fd->get(), buf, sizeof buf);
    CHECK(std::string(buf, static_cast<size_t>(std::max<ssize_t>(n, 0))) == "./Maildir/\n");
    CHECK(safe_open_read(dir.path + "/missing", {}).error().errnum == ENOENT);
}

TEST_CASE("symbolic links, hard links, fifos and directories are refused", "[lib][safe_open]")
{
    SafeOpenTempDir dir;
    auto target = dir.file("target");
    REQUIRE(::symlink(target.c_str(), (dir.path + "/symlink").c_str()) == 0);
    REQUIRE(::symlink("nowhere", (dir.path + "/dangling").c_str()) == 0);
    REQUIRE(::mkfifo((dir.path + "/fifo").c_str(), 0644) == 0);
    REQUIRE(::mkdir((dir.path + "/dir").c_str(), 0755) == 0);

    CHECK(refusal(safe_open_read(dir.path + "/symlink", {})) == "is a symbolic link");
    CHECK(refusal(safe_open_read(dir.path + "/dangling", {})) == "is a symbolic link");
    CHECK(refusal(safe_open_append(dir.path + "/symlink", {})) == "is a symbolic link");
    CHECK(refusal(safe_open_read(dir.path + "/fifo", {})) == "not a regular file");
    CHECK(refusal(safe_open_append(dir.path + "/fifo", {})) == "not a regular file");
    CHECK(refusal(safe_open_read(dir.path + "/dir", {})) == "not a regular file");

    REQUIRE(::link(target.c_str(), (dir.path + "/hardlink").c_str()) == 0);
    CHECK(refusal(safe_open_read(dir.path + "/hardlink", {})) == "has more than one link");
    CHECK(refusal(safe_open_read(target, {})) == "has more than one link");
    SafeOpenRules links_ok;
    links_ok.require_single_link = false;
    CHECK(safe_open_read(target, links_ok).ok());
}

TEST_CASE("files others can write are refused", "[lib][safe_open]")
{
    SafeOpenTempDir dir;
    auto world = dir.file("world", "x", 0666);
    auto group = dir.file("group", "x", 0664);
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
    SafeOpenTempDir dir;
    auto path = dir.file("mbox");
    SafeOpenRules rules;
    rules.check_directory = true;
    CHECK(safe_open_read(path, rules).ok());
    REQUIRE(::chmod(dir.path.c_str(), 0777) == 0);
    CHECK(refusal(safe_open_read(path, rules)) == "directory is writable by others");
    CHECK(safe_open_read(path, {}).ok());
    REQUIRE(::chmod(dir.path.c_str(), 01777) == 0);
    CHECK(safe_open_read(path, rules).ok());
}

TEST_CASE("safe_open_append appends and creates only when asked", "[lib][safe_open]")
{
    SafeOpenTempDir dir;
    auto path = dir.file("mbox", "first\n", 0600);
    auto fd = safe_open_append(path, {});
    REQUIRE(fd.ok());
    REQUIRE(write_all(fd->get(), "second\n").ok());
    REQUIRE(fd->close().ok());
    CHECK(*read_file(path, 1000) == "first\nsecond\n");

    std::string fresh = dir.path + "/fresh";
    CHECK(safe_open_append(fresh, {}).error().errnum == ENOENT);
    SafeOpenRules create;
    create.create_mode = 0600;
    auto created = safe_open_append(fresh, create);
    REQUIRE(created.ok());
    struct stat st;
    REQUIRE(::stat(fresh.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(safe_open_read(dir.path + "/never", create).error().errnum == ENOENT);
}

TEST_CASE("a file with the wrong owner is refused", "[lib][safe_open][root]")
{
    auto nobody = lookup_account("nobody");
    REQUIRE(nobody.ok());
    SafeOpenTempDir dir;
    auto path = dir.file(".qmail");
    REQUIRE(::chown(path.c_str(), nobody->uid, nobody->gid) == 0);
    SafeOpenRules root_owned;
    root_owned.owner = 0;
    CHECK(refusal(safe_open_read(path, root_owned)) == "wrong owner");
    SafeOpenRules nobody_owned;
    nobody_owned.owner = nobody->uid;
    CHECK(safe_open_read(path, nobody_owned).ok());
}
