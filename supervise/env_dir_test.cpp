#include "env_dir.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

using namespace sv;

TEST_CASE("env_value: first line, trailing blanks cut, NUL to newline", "[supervise][env_dir]")
{
    CHECK(!env_value(""));
    CHECK(env_value("\n") == std::string());
    CHECK(env_value("value \t\nsecond line") == std::string("value"));
    CHECK(env_value(std::string("a\0b", 3)) == std::string("a\nb"));
    CHECK(env_value("  lead") == std::string("  lead"));
}

TEST_CASE("read_env_dir skips dot files, unsets for empty files", "[supervise][env_dir]")
{
    mta::test::TempDir dir;
    dir.write("HOST", "mx.example\n");
    dir.write("EMPTY", "");
    dir.write(".hidden", "x");
    auto changes = read_env_dir(dir.path());
    REQUIRE(changes.ok());
    REQUIRE(changes->size() == 2);
    CHECK((*changes)[0].name == "EMPTY");
    CHECK(!(*changes)[0].value);
    CHECK((*changes)[1].name == "HOST");
    CHECK((*changes)[1].value == std::string("mx.example"));
    CHECK(!read_env_dir(dir.file("missing")).ok());
}
