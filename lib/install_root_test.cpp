#include "install_root.hpp"

#include <catch2/catch.hpp>

TEST_CASE("the root is the parent of the program's folder", "[lib][install_root]")
{
    CHECK(mta::root_of_program("/var/mail-suite/bin/mailctl") == "/var/mail-suite");
    CHECK(mta::root_of_program("/tmp/x/ms/bin/queue") == "/tmp/x/ms");
    CHECK(mta::root_of_program("/bin/prog") == "/");
    auto root = mta::install_root();
    REQUIRE(root.ok());
    CHECK_FALSE(root->empty());
}
