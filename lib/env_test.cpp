#include "env.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

using namespace mta;

TEST_CASE("env_get and env_or read this process's environment", "[lib][env]")
{
    REQUIRE(::setenv("MTA_ENV_TEST", "value", 1) == 0);
    REQUIRE(::setenv("MTA_ENV_EMPTY", "", 1) == 0);
    ::unsetenv("MTA_ENV_UNSET");
    CHECK(env_get("MTA_ENV_TEST") == std::optional<std::string_view>("value"));
    CHECK(env_get("MTA_ENV_EMPTY") == std::optional<std::string_view>(""));
    CHECK_FALSE(env_get("MTA_ENV_UNSET").has_value());
    CHECK(env_or("MTA_ENV_TEST", "fallback") == "value");
    CHECK(env_or("MTA_ENV_EMPTY", "fallback").empty());
    CHECK(env_or("MTA_ENV_UNSET", "fallback") == "fallback");
    ::unsetenv("MTA_ENV_TEST");
    ::unsetenv("MTA_ENV_EMPTY");
}

TEST_CASE("EnvBuilder sets, replaces and unsets in order", "[lib][env]")
{
    EnvBuilder env;
    CHECK(env.entries().empty());
    REQUIRE(env.set("USER", "alice").ok());
    REQUIRE(env.set("HOME", "/home/alice").ok());
    REQUIRE(env.set("HOM", "x").ok());
    REQUIRE(env.set("USER", "bob").ok());
    CHECK(env.entries() == std::vector<std::string> { "USER=bob", "HOME=/home/alice", "HOM=x" });
    CHECK(env.get("HOME") == std::optional<std::string_view>("/home/alice"));
    env.unset("HOM");
    env.unset("NOT_THERE");
    CHECK(env.entries() == std::vector<std::string> { "USER=bob", "HOME=/home/alice" });
    CHECK_FALSE(env.get("HOM").has_value());
}

TEST_CASE("EnvBuilder refuses names and values exec would garble", "[lib][env]")
{
    EnvBuilder env;
    struct Case {
        std::string name;
        std::string value;
    };
    std::vector<Case> const bad = {
        { "", "x" },
        { "A=B", "x" },
        { std::string("A\0B", 3), "x" },
        { "A", std::string("x\0y", 3) },
    };
    for (auto const& c : bad) {
        Status st = env.set(c.name, c.value);
        REQUIRE_FALSE(st.ok());
        CHECK(std::string(st.error().what) == "invalid environment variable");
    }
    CHECK(env.entries().empty());
    CHECK(env.set("SENDER", "").ok());
    CHECK(env.entries() == std::vector<std::string> { "SENDER=" });
}

TEST_CASE("EnvBuilder starts from the current environment", "[lib][env]")
{
    REQUIRE(::setenv("MTA_ENV_KEEP", "kept", 1) == 0);
    REQUIRE(::setenv("MTA_ENV_DROP", "dropped", 1) == 0);
    auto kept = EnvBuilder::keep_from_current({ "MTA_ENV_KEEP", "MTA_ENV_MISSING", "A=B" });
    CHECK(kept.entries() == std::vector<std::string> { "MTA_ENV_KEEP=kept" });

    auto all = EnvBuilder::from_current();
    CHECK(all.get("MTA_ENV_DROP") == std::optional<std::string_view>("dropped"));
    CHECK(all.get("MTA_ENV_KEEP") == std::optional<std::string_view>("kept"));
    all.unset("MTA_ENV_DROP");
    CHECK_FALSE(all.get("MTA_ENV_DROP").has_value());
    ::unsetenv("MTA_ENV_KEEP");
    ::unsetenv("MTA_ENV_DROP");
}
