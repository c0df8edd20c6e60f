#include "connection.hpp"
#include "server.hpp"

#include <catch2/catch.hpp>

using namespace tcpserver;

TEST_CASE("tcpserver child table: counts per IP", "[tcpserver]")
{
    ChildTable t;
    t.add(10, "127.0.0.1");
    t.add(11, "127.0.0.1");
    t.add(12, "::1");
    CHECK(t.size() == 3);
    CHECK(t.count("127.0.0.1") == 2);
    CHECK(t.count("::1") == 1);
    CHECK(t.count("10.0.0.1") == 0);
    t.remove(10);
    t.remove(99); // unknown: ignored
    CHECK(t.size() == 2);
    CHECK(t.count("127.0.0.1") == 1);
    t.remove(11);
    t.remove(11);
    CHECK(t.count("127.0.0.1") == 0);
    CHECK(t.size() == 1);
}

TEST_CASE("tcpserver ids: numbers, names, 0 keeps", "[tcpserver]")
{
    Options o;
    o.user = "0";
    o.group = "0";
    auto ids = resolve_ids(o);
    REQUIRE(ids.ok());
    CHECK_FALSE(ids->uid);
    CHECK_FALSE(ids->gid);
    o.user = "1234";
    o.group = "root";
    ids = resolve_ids(o);
    REQUIRE(ids.ok());
    CHECK(*ids->uid == 1234);
    CHECK(*ids->gid == 0);
    o.user = "no-such-account-here";
    CHECK_FALSE(resolve_ids(o).ok());
}

TEST_CASE("tcpserver host names: cleaned or refused", "[tcpserver]")
{
    CHECK(*clean_host_name("Mail.Example.ORG.") == "mail.example.org");
    CHECK(*clean_host_name("a_b-c.d") == "a_b-c.d");
    CHECK_FALSE(clean_host_name("evil\r\nhost"));
    CHECK_FALSE(clean_host_name("a b"));
    CHECK_FALSE(clean_host_name(""));
    CHECK_FALSE(clean_host_name(std::string(254, 'a')));
}

TEST_CASE("tcpserver environment: TCP*, TCP6*, then the rule", "[tcpserver]")
{
    mta::EnvBuilder env;
    REQUIRE(env.set("TCPREMOTEHOST", "stale").ok());
    REQUIRE(env.set("TCP6REMOTEIP", "stale").ok());
    Endpoints e;
    e.local_ip = "127.0.0.1";
    e.local_port = "25";
    e.remote_ip = "127.0.0.2";
    e.remote_port = "4000";
    mta::tcp_rules::Rule rule;
    rule.env = { { "RELAYCLIENT", "" }, { "TCPLOCALHOST", "set.by.rule" } };
    REQUIRE(set_connection_env(env, e, rule).ok());
    CHECK(*env.get("PROTO") == "TCP");
    CHECK(*env.get("TCPREMOTEIP") == "127.0.0.2");
    CHECK(*env.get("TCPREMOTEPORT") == "4000");
    CHECK_FALSE(env.get("TCPREMOTEHOST"));
    CHECK_FALSE(env.get("TCPREMOTEINFO"));
    CHECK_FALSE(env.get("TCP6REMOTEIP"));
    CHECK(env.get("RELAYCLIENT")->empty());
    CHECK(*env.get("TCPLOCALHOST") == "set.by.rule");

    mta::EnvBuilder env6;
    e.v6 = true;
    e.remote_ip = "::1";
    e.remote_host = "localhost";
    REQUIRE(set_connection_env(env6, e, std::nullopt).ok());
    CHECK(*env6.get("PROTO") == "TCP6");
    CHECK(*env6.get("TCP6REMOTEIP") == "::1");
    CHECK(*env6.get("TCPREMOTEHOST") == "localhost");
    CHECK(*env6.get("TCP6REMOTEHOST") == "localhost");
}
