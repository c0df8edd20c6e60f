#include "layout.hpp"

#include "auto_conf.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <linux/fs.h>
#include <set>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

TEST_CASE("the layout holds every queue folder with its split", "[control][layout]")
{
    std::set<std::string> paths;
    for (auto const& e : admin::tree_layout())
        paths.insert(e.path);
    for (const char* dir :
        { "queue/mess", "queue/intd", "queue/todo", "queue/info", "queue/local", "queue/remote" }) {
        INFO(dir);
        CHECK(paths.count(dir) == 1);
        CHECK(paths.count(std::string(dir) + "/0") == 1);
        CHECK(paths.count(std::string(dir) + "/" + std::to_string(mta::conf::kSplit - 1)) == 1);
        CHECK(paths.count(std::string(dir) + "/" + std::to_string(mta::conf::kSplit)) == 0);
    }
    CHECK(paths.count("queue/pid/0") == 0);
    CHECK(paths.count("queue/lock/trigger") == 1);
}

TEST_CASE("the queue program is installed setuid to the queue account", "[control][layout]")
{
    auto programs = admin::program_layout({ "mailctl", "queue" });
    REQUIRE(programs.size() == 2);
    CHECK(programs[0].mode == 0755);
    CHECK(programs[1].owner == mta::conf::kUserQueue);
    CHECK(programs[1].mode == 04711);
}

TEST_CASE("apply then check a private tree", "[control][layout]")
{
    mta::test::TempDir tmp;
    std::string const& root = tmp.path();
    admin::Ids ids;
    admin::Entry dir { admin::Kind::Directory, "queue", "root", "root", 0750 };
    admin::Entry fifo { admin::Kind::Fifo, "queue/trigger", "root", "root", 0622 };
    admin::Entry file { admin::Kind::File, "queue/tcpto", "root", "root", 0644, 1024 };
    for (auto const* e : { &dir, &fifo, &file })
        REQUIRE(admin::apply_entry(root, *e, ids, "").ok());
    for (auto const* e : { &dir, &fifo, &file })
        CHECK(admin::check_entry(root, *e, ids, false).empty());
    struct stat st;
    REQUIRE(::stat((root + "/queue/tcpto").c_str(), &st) == 0);
    CHECK(st.st_size == 1024);

    ::chmod((root + "/queue").c_str(), 0777);
    auto p = admin::check_entry(root, dir, ids, false);
    REQUIRE(p.size() == 1);
    CHECK(p[0] == "queue: mode 0777, want 0750");
    // Applying again repairs the mode and keeps the file's contents.
    REQUIRE(admin::apply_entry(root, dir, ids, "").ok());
    CHECK(admin::check_entry(root, dir, ids, false).empty());
    admin::Entry missing { admin::Kind::Directory, "nothere", "root", "root", 0755 };
    auto m = admin::check_entry(root, missing, ids, false);
    REQUIRE(m.size() == 1);
    CHECK(m[0].find("nothere: missing") == 0);
    admin::Entry wrong_kind { admin::Kind::Fifo, "queue/tcpto", "root", "root", 0644 };
    CHECK(admin::check_entry(root, wrong_kind, ids, false)
        == std::vector<std::string> { "queue/tcpto: not a fifo" });
}

TEST_CASE(
    "the queue's directories spread their subdirectories (ext4 top-dir flag)", "[control][layout]")
{
    std::set<std::string> spread;
    for (auto const& e : admin::tree_layout())
        if (e.spread)
            spread.insert(e.path);
    CHECK(spread
        == std::set<std::string> { "queue", "queue/mess", "queue/intd", "queue/todo", "queue/info",
            "queue/local", "queue/remote" });

    mta::test::TempDir tmp; // on this project's machines an ext4 file system
    admin::Ids ids;
    admin::Entry dir { admin::Kind::Directory, "q", "root", "root", 0750 };
    dir.spread = true;
    REQUIRE(admin::apply_entry(tmp.path(), dir, ids, "").ok());
    int fd = ::open((tmp.path() + "/q").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    int flags = 0;
    int const got = ::ioctl(fd, FS_IOC_GETFLAGS, &flags);
    ::close(fd);
    REQUIRE(got == 0);
    CHECK((flags & FS_TOPDIR_FL) != 0);
}

TEST_CASE("sendmail brings the links mailq and newaliases", "[control][layout]")
{
    CHECK(admin::program_layout({ "mailctl", "queue" }).size() == 2);
    auto programs = admin::program_layout({ "mailctl", "sendmail" });
    REQUIRE(programs.size() == 4);
    CHECK(programs[1].path == "bin/sendmail");
    CHECK(programs[1].kind == admin::Kind::Program);
    for (size_t i : { 2, 3 }) {
        CHECK(programs[i].kind == admin::Kind::Link);
        CHECK(programs[i].target == "sendmail");
        CHECK(programs[i].owner == "root");
    }
    CHECK(programs[2].path == "bin/mailq");
    CHECK(programs[3].path == "bin/newaliases");
    // A listing of bin/ holds the links too: they are not programs of their own.
    auto listed = admin::program_layout({ "mailq", "mailctl", "newaliases", "sendmail" });
    CHECK(listed.size() == 4);
    for (auto const& e : listed)
        CHECK(
            (e.kind == admin::Kind::Link) == (e.path == "bin/mailq" || e.path == "bin/newaliases"));
}

TEST_CASE("apply then check a link entry", "[control][layout]")
{
    mta::test::TempDir tmp;
    std::string const& root = tmp.path();
    admin::Ids ids;
    REQUIRE(::mkdir((root + "/bin").c_str(), 0755) == 0);
    tmp.write("bin/sendmail", "program", 0755);
    auto entries = admin::program_layout({ "sendmail" });
    REQUIRE(entries.size() == 3);
    admin::Entry const& mailq = entries[1];
    REQUIRE(admin::apply_entry(root, mailq, ids, "").ok());
    CHECK(admin::check_entry(root, mailq, ids, false).empty());
    char buf[64] = {};
    REQUIRE(::readlink((root + "/bin/mailq").c_str(), buf, sizeof buf - 1) == 8);
    CHECK(std::string(buf) == "sendmail");
    // Applying a link never changes the mode of the program it points to.
    struct stat st;
    REQUIRE(::stat((root + "/bin/sendmail").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0755);
    // Applying again is a no-op.
    REQUIRE(admin::apply_entry(root, mailq, ids, "").ok());
    CHECK(admin::check_entry(root, mailq, ids, false).empty());

    // A link to the wrong place is reported and repaired.
    REQUIRE(::unlink((root + "/bin/mailq").c_str()) == 0);
    REQUIRE(::symlink("/bin/true", (root + "/bin/mailq").c_str()) == 0);
    CHECK(admin::check_entry(root, mailq, ids, false)
        == std::vector<std::string> { "bin/mailq: points to /bin/true, want sendmail" });
    REQUIRE(admin::apply_entry(root, mailq, ids, "").ok());
    CHECK(admin::check_entry(root, mailq, ids, false).empty());

    // A regular file in the link's place is reported and replaced.
    REQUIRE(::unlink((root + "/bin/mailq").c_str()) == 0);
    tmp.write("bin/mailq", "old copy", 0755);
    CHECK(admin::check_entry(root, mailq, ids, false)
        == std::vector<std::string> { "bin/mailq: not a symbolic link" });
    REQUIRE(admin::apply_entry(root, mailq, ids, "").ok());
    CHECK(admin::check_entry(root, mailq, ids, false).empty());
    CHECK(::access((root + "/bin/mailq.new").c_str(), F_OK) == -1);

    // A missing link is reported.
    REQUIRE(::unlink((root + "/bin/mailq").c_str()) == 0);
    auto missing = admin::check_entry(root, mailq, ids, false);
    REQUIRE(missing.size() == 1);
    CHECK(missing[0].find("bin/mailq: missing") == 0);
}
