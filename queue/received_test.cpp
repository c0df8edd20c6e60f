#include "received.hpp"

#include "auto_conf.hpp"
#include "privs.hpp"

#include <catch2/catch.hpp>

using namespace queue;

TEST_CASE("the Received line has qmail's shape", "[queue][received]")
{
    CHECK(received_line(4711, "by uid 1000", 1709802301)
        == "Received: (mail-suite 4711 invoked by uid 1000); 7 Mar 2024 09:05:01 -0000\n");
    CHECK(received_line(1, "from network", 0)
        == "Received: (mail-suite 1 invoked from network); 1 Jan 1970 00:00:00 -0000\n");
}

TEST_CASE("WHO names the queue's own accounts and otherwise the uid", "[queue][received]")
{
    Invokers const invokers { 901, 902, 903 };
    CHECK(invoked_by(901, invokers) == "by alias");
    CHECK(invoked_by(902, invokers) == "from network");
    CHECK(invoked_by(903, invokers) == "for bounce");
    CHECK(invoked_by(0, invokers) == "by uid 0");
    CHECK(invoked_by(65534, invokers) == "by uid 65534");
    CHECK(invoked_by(902, Invokers {}) == "by uid 902");
}

TEST_CASE("lookup_invokers agrees with getpwnam", "[queue][received]")
{
    auto uid_of = [](char const* name) -> std::optional<uid_t> {
        auto account = mta::lookup_account(name);
        return account ? std::optional<uid_t>(account->uid) : std::nullopt;
    };
    Invokers const invokers = lookup_invokers();
    CHECK(invokers.alias == uid_of(mta::conf::kUserAlias));
    CHECK(invokers.daemon == uid_of(mta::conf::kUserDaemon));
    CHECK(invokers.send == uid_of(mta::conf::kUserSend));
}
