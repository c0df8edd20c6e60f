#include "maildir.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace mta;
using mta::test::TempDir;

namespace {

void make_maildir(std::string const& path)
{
    REQUIRE(::mkdir(path.c_str(), 0700) == 0);
    for (char const* sub : { "/tmp", "/new", "/cur" })
        REQUIRE(::mkdir((path + sub).c_str(), 0700) == 0);
}

std::vector<std::string> names_in(std::string const& dir)
{
    auto names = list_directory(dir);
    REQUIRE(names.ok());
    return *names;
}

} // namespace

TEST_CASE("maildir host names escape slash and colon", "[lib][maildir]")
{
    struct {
        std::string_view in, want;
    } const cases[] = {
        { "mx.example.org", "mx.example.org" },
        { "a/b", "a\\057b" },
        { "a:b:c", "a\\072b\\072c" },
        { "", "localhost" },
    };
    for (auto const& c : cases) {
        INFO("host " << c.in);
        CHECK(maildir_host(c.in) == c.want);
    }
}

TEST_CASE("maildir unique names have the modern form", "[lib][maildir]")
{
    CHECK(maildir_unique_name(1700000000, 42, 1234, 7, "mx") == "1700000000.M42P1234Q7.mx");
    CHECK(maildir_unique_name(0, 999999, 1, 1, "h") == "0.M999999P1Q1.h");
}

TEST_CASE("a committed message is in new/ and tmp/ is empty", "[lib][maildir]")
{
    TempDir dir;
    std::string const md = dir.file("Maildir");
    make_maildir(md);
    auto body = dir.write("message", "Subject: hi\n\nbody\n");
    Fd in(::open(body.c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(in.valid());

    auto file = MaildirFile::create(md + "/");
    REQUIRE(file.ok());
    CHECK(names_in(md + "/tmp").size() == 1);
    REQUIRE(file->write("Return-Path: <a@b>\n").ok());
    REQUIRE(file->write_from(in.get()).ok());
    auto name = file->commit();
    REQUIRE(name.ok());
    CHECK(*name == "new/" + file->name());
    CHECK(names_in(md + "/tmp").empty());
    auto got = read_file(md + "/" + *name, 1 << 20);
    REQUIRE(got.ok());
    CHECK(*got == "Return-Path: <a@b>\nSubject: hi\n\nbody\n");
}

TEST_CASE("two deliveries get different names", "[lib][maildir]")
{
    TempDir dir;
    std::string const md = dir.file("Maildir");
    make_maildir(md);
    for (int i = 0; i < 3; ++i) {
        auto file = MaildirFile::create(md); // without the trailing slash
        REQUIRE(file.ok());
        REQUIRE(file->write("x\n").ok());
        REQUIRE(file->commit().ok());
    }
    CHECK(names_in(md + "/new").size() == 3);
}

TEST_CASE("large messages pass through the buffer unchanged", "[lib][maildir]")
{
    TempDir dir;
    std::string const md = dir.file("Maildir");
    make_maildir(md);
    std::string big;
    for (int i = 0; big.size() < size_t { 300 } * 1024; ++i)
        big += "line " + std::to_string(i) + "\n";
    auto path = dir.write("big", big);
    Fd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(in.valid());
    auto file = MaildirFile::create(md);
    REQUIRE(file.ok());
    REQUIRE(file->write(std::string(size_t { 70 } * 1024, 'h')).ok()); // bigger than the buffer
    REQUIRE(file->write_from(in.get()).ok());
    auto name = file->commit();
    REQUIRE(name.ok());
    auto got = read_file(md + "/" + *name, 1 << 22);
    REQUIRE(got.ok());
    CHECK(*got == std::string(size_t { 70 } * 1024, 'h') + big);
}

TEST_CASE("an abandoned file leaves nothing behind", "[lib][maildir]")
{
    TempDir dir;
    std::string const md = dir.file("Maildir");
    make_maildir(md);
    {
        auto file = MaildirFile::create(md);
        REQUIRE(file.ok());
        REQUIRE(file->write("partial").ok());
    }
    CHECK(names_in(md + "/tmp").empty());
    CHECK(names_in(md + "/new").empty());
}

TEST_CASE("a missing maildir or new/ is an error", "[lib][maildir]")
{
    TempDir dir;
    auto missing = MaildirFile::create(dir.file("nothing"));
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().errnum == ENOENT);
    CHECK(std::string(missing.error().what) == "unable to create file in tmp");

    std::string const md = dir.file("half");
    REQUIRE(::mkdir(md.c_str(), 0700) == 0);
    REQUIRE(::mkdir((md + "/tmp").c_str(), 0700) == 0);
    auto file = MaildirFile::create(md);
    REQUIRE(file.ok());
    REQUIRE(file->write("x\n").ok());
    auto name = file->commit();
    REQUIRE_FALSE(name.ok());
    CHECK(std::string(name.error().what) == "unable to link into new");
}
