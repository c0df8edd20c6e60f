#include "cdb.hpp"
#include "fd.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <random>
#include <unistd.h>

using namespace mta;
using mta::test::TempDir;

namespace {

bool exists(std::string const& path)
{
    return ::access(path.c_str(), F_OK) == 0;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

void build(std::string const& path, Pairs const& pairs)
{
    auto w = CdbWriter::create(path);
    REQUIRE(w.ok());
    for (auto const& [key, value] : pairs)
        REQUIRE(w->add(key, value).ok());
    REQUIRE(w->commit().ok());
}

std::string user_key(int i)
{
    return "user" + std::to_string(i) + "@example.org";
}
std::string user_value(int i)
{
    return "msvmail:1002:1002:/var/mail-suite/domains/example.org/user" + std::to_string(i)
        + ":-::";
}

void overwrite(std::string const& path, off_t offset, std::string_view bytes)
{
    auto fd = open_write(path);
    REQUIRE(fd.ok());
    REQUIRE(::pwrite(fd->get(), bytes.data(), bytes.size(), offset)
        == static_cast<ssize_t>(bytes.size()));
}

} // namespace

TEST_CASE("cdb: 100,000 keys build and read back", "[lib][cdb]")
{
    TempDir dir;
    std::string const path = dir.file("users.cdb");
    int const count = 100000;
    auto const start = std::chrono::steady_clock::now();

    auto w = CdbWriter::create(path);
    REQUIRE(w.ok());
    for (int i = 0; i < count; ++i)
        REQUIRE(w->add(user_key(i), user_value(i)).ok());
    REQUIRE(w->commit().ok());
    CHECK_FALSE(exists(path + ".tmp"));

    auto db = Cdb::open(path);
    REQUIRE(db.ok());
    int found = 0;
    for (int i = 0; i < count; ++i) {
        auto v = db->find(user_key(i));
        if (v.ok() && v->has_value() && **v == user_value(i))
            ++found;
    }
    CHECK(found == count);
    for (int i = count; i < count + 1000; ++i) {
        auto v = db->find(user_key(i));
        REQUIRE(v.ok());
        CHECK_FALSE(v->has_value());
    }
    auto const seconds
        = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    // About 0.1 s at -O2; the bound leaves room for sanitizers and a busy machine.
    CHECK(seconds < 10.0);

    int visited = 0;
    REQUIRE(db->for_each([&](std::string_view key, std::string_view value) -> Status {
                  if (key == user_key(visited) && value == user_value(visited))
                      ++visited;
                  return {};
              }).ok());
    CHECK(visited == count);
}

TEST_CASE("cdb: duplicate keys, binary data and empty values", "[lib][cdb]")
{
    TempDir dir;
    std::string const path = dir.file("t.cdb");
    using namespace std::string_literals;
    std::string const nul_key = "a\0b"s;
    std::string const nul_value = "\0\xff\0value\n"s;
    build(path,
        {
            { "dup", "first" },
            { "other", "x" },
            { "dup", "second" },
            { nul_key, nul_value },
            { "empty", "" },
            { "", "empty key" },
            { "dup", "third" },
        });
    auto db = Cdb::open(path);
    REQUIRE(db.ok());
    CHECK(**db->find("dup") == "first");
    CHECK(*db->find_all("dup") == std::vector<std::string> { "first", "second", "third" });
    CHECK(db->find_all("absent")->empty());
    CHECK(**db->find(nul_key) == nul_value);
    CHECK_FALSE(db->find("a")->has_value()); // the key is not cut at the NUL
    CHECK((*db->find("empty"))->empty());
    CHECK(**db->find("") == "empty key");
    CHECK(*db->contains("empty"));
    CHECK_FALSE(*db->contains("absent"));

    std::vector<std::string> keys;
    REQUIRE(db->for_each([&](std::string_view key, std::string_view) -> Status {
                  keys.emplace_back(key);
                  return {};
              }).ok());
    CHECK(keys == std::vector<std::string> { "dup", "other", "dup", nul_key, "empty", "", "dup" });

    int calls = 0;
    auto stopped = db->for_each([&](std::string_view, std::string_view) -> Status {
        ++calls;
        return Error::plain("stop here");
    });
    REQUIRE_FALSE(stopped.ok());
    CHECK(std::string(stopped.error().what) == "stop here");
    CHECK(calls == 1);
}

TEST_CASE("cdb: an empty table", "[lib][cdb]")
{
    TempDir dir;
    build(dir.file("empty.cdb"), {});
    auto db = Cdb::open(dir.file("empty.cdb"));
    REQUIRE(db.ok());
    CHECK_FALSE(db->find("x")->has_value());
    int calls = 0;
    REQUIRE(db->for_each([&](std::string_view, std::string_view) -> Status {
                  ++calls;
                  return {};
              }).ok());
    CHECK(calls == 0);
}

TEST_CASE("cdb: a writer destroyed without commit rolls back", "[lib][cdb]")
{
    TempDir dir;
    std::string const path = dir.file("t.cdb");
    build(path, { { "old", "1" } });
    {
        auto w = CdbWriter::create(path);
        REQUIRE(w.ok());
        REQUIRE(w->add("new", "2").ok());
        CHECK(exists(path + ".tmp"));
    }
    CHECK_FALSE(exists(path + ".tmp"));
    {
        auto w = CdbWriter::create(path);
        REQUIRE(w.ok());
        for (int i = 0; i < 10000; ++i) // enough records that tinycdb has flushed some
            REQUIRE(w->add(user_key(i), user_value(i)).ok());
        CdbWriter moved = std::move(*w);
        REQUIRE(moved.add("new", "2").ok());
        auto other = CdbWriter::create(dir.file("other.cdb"));
        REQUIRE(other.ok());
        moved = std::move(*other); // drops the first build
        CHECK_FALSE(exists(path + ".tmp"));
    }
    CHECK_FALSE(exists(dir.file("other.cdb.tmp")));
    CHECK_FALSE(exists(dir.file("other.cdb")));
    auto db = Cdb::open(path);
    REQUIRE(db.ok());
    CHECK(**db->find("old") == "1");
    CHECK_FALSE(db->find("new")->has_value());
}

TEST_CASE("cdb: a writer is finished after commit", "[lib][cdb]")
{
    TempDir dir;
    auto w = CdbWriter::create(dir.file("t.cdb"));
    REQUIRE(w.ok());
    REQUIRE(w->add("k", "v").ok());
    REQUIRE(w->commit().ok());
    auto again = w->commit();
    REQUIRE_FALSE(again.ok());
    CHECK(std::string(again.error().what) == "cdb writer already finished");
    CHECK_FALSE(w->add("k", "v").ok());
    CHECK(exists(dir.file("t.cdb"))); // the destructor keeps a committed table
}

TEST_CASE("cdb: open and create failures carry errno", "[lib][cdb]")
{
    TempDir dir;
    auto missing = Cdb::open(dir.file("missing.cdb"));
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().errnum == ENOENT);

    auto no_dir = CdbWriter::create(dir.file("no/such/dir.cdb"));
    REQUIRE_FALSE(no_dir.ok());
    CHECK(no_dir.error().errnum == ENOENT);
}

TEST_CASE("cdb: truncated and corrupt files give errors, not crashes", "[lib][cdb]")
{
    TempDir dir;
    std::string const path = dir.file("t.cdb");
    Pairs pairs;
    for (int i = 0; i < 1000; ++i)
        pairs.emplace_back(user_key(i), user_value(i));
    build(path, pairs);
    auto const size = std::filesystem::file_size(path);

    SECTION("shorter than the header")
    {
        std::filesystem::resize_file(path, 100);
        auto db = Cdb::open(path);
        REQUIRE_FALSE(db.ok());
        CHECK(std::string(db.error().what) == "corrupt cdb file");
    }
    SECTION("cut in half")
    {
        std::filesystem::resize_file(path, size / 2);
        auto db = Cdb::open(path);
        REQUIRE_FALSE(db.ok());
        CHECK(std::string(db.error().what) == "corrupt cdb file");
    }
    SECTION("record positions in the hash tables point outside the records")
    {
        // Hash table 0 starts right after the records; every entry is (hash, position).
        auto content = read_file(path, size);
        REQUIRE(content.ok());
        auto const* header = reinterpret_cast<unsigned char const*>(content->data());
        size_t const tables
            = header[0] | header[1] << 8 | header[2] << 16 | static_cast<size_t>(header[3]) << 24;
        REQUIRE(tables < size);
        for (size_t entry = tables; entry + 8 <= size; entry += 8)
            overwrite(path, static_cast<off_t>(entry + 4), "\xff\xff\xff\x7f");
        auto db = Cdb::open(path);
        REQUIRE(db.ok());
        for (auto const& [key, value] : pairs) {
            auto v = db->find(key);
            REQUIRE_FALSE(v.ok());
            CHECK(std::string(v.error().what) == "corrupt cdb file");
        }
        CHECK_FALSE(db->find_all(pairs[0].first).ok());
        CHECK_FALSE(db->contains(pairs[0].first).ok());
    }
    SECTION("record lengths overwritten")
    {
        overwrite(path, 2048, std::string(64, '\xff'));
        auto db = Cdb::open(path);
        REQUIRE(db.ok());
        auto st = db->for_each([](std::string_view, std::string_view) -> Status { return {}; });
        REQUIRE_FALSE(st.ok());
        CHECK(std::string(st.error().what) == "corrupt cdb file");
        for (auto const& [key, value] : pairs) {
            auto v = db->find(key);
            if (v.ok() && v->has_value())
                CHECK(**v == value);
        }
    }
}

TEST_CASE("cdb: random bytes never crash the reader", "[lib][cdb]")
{
    TempDir dir;
    std::string const path = dir.file("random.cdb");
    std::mt19937 rng(42);
    int opened = 0;
    for (int round = 0; round < 50; ++round) {
        std::string bytes(2048 + rng() % 8192, '\0');
        for (auto& c : bytes)
            c = static_cast<char>(rng() % 4 == 0 ? rng() : rng() % 64);
        // Half the files get a header that passes the bounds check, so the lookups
        // walk random hash tables and records.
        for (unsigned slot = 0; round % 2 == 0 && slot < 256; ++slot) {
            unsigned const size = static_cast<unsigned>(bytes.size());
            unsigned const pos = 2048 + static_cast<unsigned>(rng() % (size - 2048));
            unsigned const entries = static_cast<unsigned>(rng() % ((size - pos) / 8 + 1));
            for (unsigned b = 0; b < 4; ++b) {
                bytes[slot * 8 + b] = static_cast<char>(pos >> (8 * b));
                bytes[slot * 8 + 4 + b] = static_cast<char>(entries >> (8 * b));
            }
        }
        {
            auto fd = open_trunc(path);
            REQUIRE(fd.ok());
            REQUIRE(write_all(fd->get(), bytes).ok());
        }
        auto db = Cdb::open(path);
        if (!db.ok())
            continue;
        ++opened;
        for (int k = 0; k < 100; ++k) {
            std::string key(rng() % 8, '\0');
            for (auto& c : key)
                c = static_cast<char>(rng());
            (void)db->find(key);
            (void)db->find_all(key);
        }
        (void)db->for_each([](std::string_view, std::string_view) -> Status { return {}; });
    }
    CHECK(opened >= 25);
}
