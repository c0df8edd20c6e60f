#include "passwd_file.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

using namespace mta;
using mta::test::TempDir;

TEST_CASE("passwd file: accounts by name, first entry wins", "[lib][passwd_file]")
{
    TempDir dir;
    std::string const path = dir.write("passwd",
        "root:x:0:0:root:/root:/bin/bash\n"
        "this line is not an entry\n"
        "msd:x:1001:1002:SMTP:/var/empty:/usr/sbin/nologin\n"
        "msd:x:2001:2002::/elsewhere:/bin/sh\n"
        "joe:x:1500:100::/home/joe:\n");
    auto msd = find_file_account("msd", path);
    REQUIRE(msd.ok());
    REQUIRE(msd->has_value());
    CHECK((*msd)->name == "msd");
    CHECK((*msd)->uid == 1001);
    CHECK((*msd)->gid == 1002);
    CHECK((*msd)->home == "/var/empty");
    CHECK((*msd)->shell == "/usr/sbin/nologin");

    auto none = find_file_account("nobody-here", path);
    REQUIRE(none.ok());
    CHECK_FALSE(none->has_value());

    auto several = find_file_accounts({ "joe", "nobody-here", "root", "joe" }, path);
    REQUIRE(several.ok());
    REQUIRE(several->size() == 4);
    CHECK((*several)[0]->uid == 1500);
    CHECK((*several)[0]->shell.empty());
    CHECK_FALSE((*several)[1].has_value());
    CHECK((*several)[2]->uid == 0);
    CHECK((*several)[3]->home == "/home/joe");
}

TEST_CASE("passwd file: a long entry is read whole, errors name the step", "[lib][passwd_file]")
{
    TempDir dir;
    std::string const gecos(20000, 'g');
    std::string const path = dir.write(
        "passwd", "big:x:7:8:" + gecos + ":/home/big:/bin/sh\nafter:x:9:9::/:/bin/sh\n");
    auto found = find_file_accounts({ "after", "big" }, path);
    REQUIRE(found.ok());
    REQUIRE((*found)[0].has_value());
    CHECK((*found)[0]->uid == 9);
    REQUIRE((*found)[1].has_value());
    CHECK((*found)[1]->home == "/home/big");

    auto missing = find_file_account("root", dir.file("missing"));
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().errnum == ENOENT);
    CHECK(std::string(missing.error().what) == "unable to open passwd file");

    auto empty = find_file_accounts({}, path);
    REQUIRE(empty.ok());
    CHECK(empty->empty());
}

TEST_CASE("passwd file: the system file agrees with getpwnam for root", "[lib][passwd_file]")
{
    auto root = find_file_account("root");
    REQUIRE(root.ok());
    REQUIRE(root->has_value());
    auto nss = lookup_account("root");
    REQUIRE(nss.ok());
    CHECK((*root)->uid == nss->uid);
    CHECK((*root)->home == nss->home);
}
