#include "limits.hpp"

#include <catch2/catch.hpp>
#include <sys/resource.h>

using namespace sv;

TEST_CASE("parse_limits: daemontools' options, joined or separate", "[supervise][limits]")
{
    char const* argv[]
        = { "softlimit", "-m", "64000000", "-o100", "-t", "=", "prog", "-x", nullptr };
    auto p = parse_limits(8, argv);
    REQUIRE(p.ok());
    CHECK(p->child == 6);
    REQUIRE(p->limits.size() == 6);
    CHECK(p->limits[0].resource == RLIMIT_DATA);
    CHECK(p->limits[1].resource == RLIMIT_STACK);
    CHECK(p->limits[2].resource == RLIMIT_MEMLOCK);
    CHECK(p->limits[3].resource == RLIMIT_AS);
    CHECK(p->limits[3].value == 64000000);
    CHECK(p->limits[4].resource == RLIMIT_NOFILE);
    CHECK(p->limits[4].value == 100);
    CHECK(p->limits[5].resource == RLIMIT_CPU);
    CHECK(p->limits[5].to_hard);
}

TEST_CASE("parse_limits refuses bad options", "[supervise][limits]")
{
    char const* unknown[] = { "softlimit", "-z", "1", "prog", nullptr };
    CHECK(!parse_limits(4, unknown).ok());
    char const* not_number[] = { "softlimit", "-m", "lots", "prog", nullptr };
    CHECK(!parse_limits(4, not_number).ok());
    char const* no_program[] = { "softlimit", "-m", "1000", nullptr };
    CHECK(!parse_limits(3, no_program).ok());
    char const* no_value[] = { "softlimit", "-m", nullptr };
    CHECK(!parse_limits(2, no_value).ok());
}

TEST_CASE("apply_limits caps the soft limit at the hard one", "[supervise][limits]")
{
    struct rlimit before { };
    REQUIRE(::getrlimit(RLIMIT_CORE, &before) == 0);
    REQUIRE(apply_limits({ { RLIMIT_CORE, false, 0 } }).ok());
    struct rlimit now { };
    REQUIRE(::getrlimit(RLIMIT_CORE, &now) == 0);
    CHECK(now.rlim_cur == 0);
    REQUIRE(apply_limits({ { RLIMIT_CORE, true, 0 } }).ok());
    REQUIRE(::getrlimit(RLIMIT_CORE, &now) == 0);
    CHECK(now.rlim_cur == now.rlim_max);
    REQUIRE(::setrlimit(RLIMIT_CORE, &before) == 0);
}
