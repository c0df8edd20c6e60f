#include "log_dir.hpp"

#include "fd.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>

using namespace sv;

namespace {

std::vector<std::string> rotated(std::string const& dir)
{
    std::vector<std::string> out;
    auto names = mta::list_directory(dir);
    REQUIRE(names.ok());
    std::vector<std::string> const all = std::move(*names);
    for (auto const& n : all)
        if (n[0] == '@')
            out.push_back(n);
    return out;
}

std::string all_text(std::string const& dir)
{
    std::string out;
    for (auto const& n : rotated(dir))
        out += *mta::read_file(dir + "/" + n, 1 << 24);
    return out + *mta::read_file(dir + "/current", 1 << 24);
}

} // namespace

TEST_CASE("rotated_name: @, the TAI64N label, a suffix", "[supervise][log_dir]")
{
    struct timespec ts {
        0, 0
    };
    CHECK(rotated_name(ts, 's') == "@400000000000000a00000000.s");
    ts = { 1709802301, 123456789 };
    CHECK(rotated_name(ts, 'u') == "@4000000065e98347075bcd15.u");
}

TEST_CASE("names_to_remove keeps the newest num rotated files", "[supervise][log_dir]")
{
    std::vector<std::string> names = { "current", "lock", "@400000000000000c00000000.s",
        "@400000000000000a00000000.s", "@400000000000000b00000000.u", "state", "@short" };
    CHECK(names_to_remove(names, 3).empty());
    CHECK(names_to_remove(names, 2) == std::vector<std::string> { "@400000000000000a00000000.s" });
    CHECK(names_to_remove(names, 1)
        == std::vector<std::string> {
            "@400000000000000a00000000.s", "@400000000000000b00000000.u" });
}

TEST_CASE("LogDir rotates near the size and keeps num files", "[supervise][log_dir]")
{
    mta::test::TempDir tmp;
    DirectorySettings settings { tmp.file("log"), kMinSize, 3, "" };
    std::string expected;
    {
        auto dir = LogDir::open(settings);
        REQUIRE(dir.ok());
        for (int i = 0; i < 400; ++i) {
            std::string line = "line " + std::to_string(i) + " " + std::string(40, 'x') + "\n";
            dir->append(line);
            if (i >= 400 - 60)
                expected += line; // enough to span the newest files
        }
        dir->finish();
    }
    auto files = rotated(tmp.file("log"));
    CHECK(files.size() == 3);
    for (auto const& f : files) {
        struct stat st;
        REQUIRE(::stat((tmp.file("log") + "/" + f).c_str(), &st) == 0);
        CHECK(st.st_size <= off_t(kMinSize));
        CHECK(st.st_size + 2000 + 50 >= off_t(kMinSize));
        CHECK(f.back() == 's');
        CHECK((st.st_mode & 0777) == 0744);
    }
    std::string const text = all_text(tmp.file("log"));
    CHECK(text.size() >= expected.size());
    CHECK(text.substr(text.size() - expected.size()) == expected);
    struct stat st;
    REQUIRE(::stat(tmp.file("log/current").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0744); // finished cleanly
}

TEST_CASE("LogDir: an unfinished current becomes @....u; a finished one is reused",
    "[supervise][log_dir]")
{
    mta::test::TempDir tmp;
    REQUIRE(::mkdir(tmp.file("log").c_str(), 0755) == 0);
    tmp.write("log/current", "half a li", 0644);
    DirectorySettings settings { tmp.file("log"), kDefaultSize, kDefaultNum, "" };
    {
        auto dir = LogDir::open(settings);
        REQUIRE(dir.ok());
        auto files = rotated(tmp.file("log"));
        REQUIRE(files.size() == 1);
        CHECK(files[0].back() == 'u');
        CHECK(*mta::read_file(tmp.file("log/") + files[0], 100) == "half a li");
        dir->append("one\n");
        dir->finish();
    }
    {
        auto dir = LogDir::open(settings);
        REQUIRE(dir.ok());
        CHECK(rotated(tmp.file("log")).size() == 1);
        dir->append("two\n");
        dir->flush();
        CHECK(*mta::read_file(tmp.file("log/current"), 100) == "one\ntwo\n");
        // A second writer is locked out while this one runs.
        CHECK(!LogDir::open(settings).ok());
        dir->finish();
    }
}

TEST_CASE("LogDir runs the processor on each finished file", "[supervise][log_dir]")
{
    mta::test::TempDir tmp;
    DirectorySettings settings { tmp.file("log"), kDefaultSize, kDefaultNum,
        "tr a-z A-Z; echo seen >&5" };
    auto dir = LogDir::open(settings);
    REQUIRE(dir.ok());
    dir->append("hello\n");
    dir->rotate();
    auto files = rotated(tmp.file("log"));
    REQUIRE(files.size() == 1);
    CHECK(*mta::read_file(tmp.file("log/") + files[0], 100) == "HELLO\n");
    CHECK(*mta::read_file(tmp.file("log/state"), 100) == "seen\n");
    CHECK(::access(tmp.file("log/previous").c_str(), F_OK) == -1);
    CHECK(::access(tmp.file("log/processed").c_str(), F_OK) == -1);
    dir->finish();
}
