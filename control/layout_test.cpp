#include "layout.hpp"

#include "auto_conf.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <set>
#include <sys/stat.h>

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
