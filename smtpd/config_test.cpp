#include "config.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <vector>

using namespace smtpd;

namespace {

struct Env {
    std::map<std::string, std::string> vars;
    EnvGet getter() const
    {
        return [this](char const* name) -> std::optional<std::string_view> {
            auto it = vars.find(name);
            if (it == vars.end())
                return std::nullopt;
            return std::string_view(it->second);
        };
    }
};

Config load(mta::test::TempDir& dir, Env const& env = {}, Options options = {})
{
    auto got = load_config(dir.path(), options, env.getter());
    REQUIRE(std::holds_alternative<Config>(got));
    return std::get<Config>(std::move(got));
}

} // namespace

TEST_CASE("smtpd config: defaults and the environment", "[smtpd][config]")
{
    mta::test::TempDir dir;
    std::filesystem::create_directory(dir.file("control"));
    dir.write("control/me", "mx.example.org\n");
    Env env;
    env.vars = { { "TCPREMOTEIP", "192.0.2.7" }, { "TCPLOCALIP", "192.0.2.1" },
        { "DATABYTES", "5000" } };
    Config c = load(dir, env);
    CHECK(c.greeting == "mx.example.org");
    CHECK(c.localiphost == "mx.example.org");
    CHECK(c.timeout_ms == 1200 * 1000);
    CHECK(c.databytes == 5000);
    CHECK(c.maxrcpt == 1000);
    CHECK(c.remote_ip == "192.0.2.7");
    CHECK(c.remote_host == "unknown");
    CHECK(c.local_host == "192.0.2.1");
    CHECK_FALSE(c.relayclient);
    CHECK_FALSE(c.tls_files);
    // No rcpthosts, no locals: me only (never an open relay).
    CHECK(*rcpthost_allowed(c, "u", "MX.example.org"));
    CHECK_FALSE(*rcpthost_allowed(c, "u", "other.example"));
    CHECK(*rcpthost_allowed(c, "postmaster", ""));
}

TEST_CASE("smtpd config: rcpthosts, morercpthosts, virtualdomains", "[smtpd][config]")
{
    mta::test::TempDir dir;
    std::filesystem::create_directory(dir.file("control"));
    dir.write("control/me", "mx.example.org\n");
    dir.write("control/locals", "mx.example.org\nlocalhost\n");
    dir.write("control/virtualdomains",
        "virt.example:v\n.sub.example:s\njoe@one.example:j\n"
        ":catchall\n");
    Config c = load(dir);
    CHECK(*rcpthost_allowed(c, "u", "virt.example"));
    CHECK(*rcpthost_allowed(c, "u", "a.sub.example"));
    CHECK_FALSE(*rcpthost_allowed(c, "u", "sub.example"));
    CHECK(*rcpthost_allowed(c, "Joe", "one.example"));
    CHECK_FALSE(*rcpthost_allowed(c, "ann", "one.example"));
    CHECK_FALSE(*rcpthost_allowed(c, "u", "anything.example"));

    dir.write("control/rcpthosts", "a.example\n.b.example\n# comment\n");
    c = load(dir);
    CHECK(*rcpthost_allowed(c, "u", "A.EXAMPLE"));
    CHECK(*rcpthost_allowed(c, "u", "x.b.example"));
    CHECK_FALSE(*rcpthost_allowed(c, "u", "virt.example"));
    CHECK_FALSE(*rcpthost_allowed(c, "u", "mx.example.org"));
}

TEST_CASE("smtpd config: badmailfrom, limits, local literals", "[smtpd][config]")
{
    mta::test::TempDir dir;
    std::filesystem::create_directory(dir.file("control"));
    dir.write("control/me", "mx.example.org\n");
    dir.write("control/badmailfrom", "Spam@Example.com\n@junk.example\n");
    dir.write("control/timeoutsmtpd", "5\n");
    dir.write("control/databytes", "1000\n");
    dir.write("control/maxrcpt", "3\n");
    dir.write("control/smtpgreeting", "hello there\n");
    Env env;
    env.vars = { { "TCPLOCALIP", "192.0.2.1" }, { "RELAYCLIENT", "" } };
    Config c = load(dir, env);
    CHECK(in_badmailfrom(c, "spam", "EXAMPLE.com"));
    CHECK(in_badmailfrom(c, "anyone", "junk.example"));
    CHECK_FALSE(in_badmailfrom(c, "ham", "example.com"));
    CHECK_FALSE(in_badmailfrom(c, "", ""));
    CHECK(c.timeout_ms == 5000);
    CHECK(c.databytes == 1000);
    CHECK(c.maxrcpt == 3);
    CHECK(c.greeting == "hello there");
    CHECK(c.relayclient == std::optional<std::string>(""));
    CHECK(is_local_literal(c, "[127.0.0.1]"));
    CHECK(is_local_literal(c, "[192.0.2.1]"));
    CHECK(is_local_literal(c, "[IPv6:::1]"));
    CHECK_FALSE(is_local_literal(c, "[198.51.100.1]"));
    CHECK_FALSE(is_local_literal(c, "example.org"));

    Config local = load(dir, env, Options { false, true });
    CHECK(local.relayclient == std::optional<std::string>(""));
    CHECK(local.remote_ip.rfind("uid ", 0) == 0);
}

TEST_CASE("smtpd config: failures", "[smtpd][config]")
{
    mta::test::TempDir dir;
    std::filesystem::create_directory(dir.file("control"));
    Options options;
    Env env;
    auto got = load_config(dir.path(), options, env.getter());
    REQUIRE(std::holds_alternative<ConfigError>(got));
    CHECK(std::get<ConfigError>(got).path == dir.path() + "/control/me");
    dir.write("control/me", "\n"); // empty: no name to greet with, as bad as none
    got = load_config(dir.path(), options, env.getter());
    REQUIRE(std::holds_alternative<ConfigError>(got));
    CHECK(std::get<ConfigError>(got).path == dir.path() + "/control/me");
    dir.write("control/me", "mx.example.org\n");
    dir.write("control/timeoutsmtpd", "soon\n");
    got = load_config(dir.path(), options, env.getter());
    REQUIRE(std::holds_alternative<ConfigError>(got));
    CHECK(std::string(std::get<ConfigError>(got).error.what) == "not a number");
    CHECK(parse_options(2, std::vector<char const*> { "smtpd", "-x" }.data()) == std::nullopt);
    CHECK(parse_options(3, std::vector<char const*> { "smtpd", "-s", "-L" }.data())->local_user);
}

TEST_CASE("smtpd config: users/recipients.cdb", "[smtpd][config]")
{
    mta::test::TempDir dir;
    RecipientTable missing(dir.file("none.cdb"));
    CHECK(*missing.check("u", "virt.example") == Mailbox::not_virtual);

    auto w = mta::CdbWriter::create(dir.file("recipients.cdb"));
    REQUIRE(w);
    for (auto const& [key, value] :
        std::vector<std::pair<std::string, std::string>> { { "@virt.example", "domain" },
            { "joe@virt.example", "user" }, { "sales@virt.example", "alias" },
            { "joe-lists-@virt.example", "extension" }, { "@all.example", "catchall" } })
        REQUIRE(w->add(key, value));
    REQUIRE(w->commit());
    RecipientTable table(dir.file("recipients.cdb"));
    CHECK(*table.check("Joe", "VIRT.example") == Mailbox::valid);
    CHECK(*table.check("sales", "virt.example") == Mailbox::valid);
    CHECK(*table.check("joe-lists-linux", "virt.example") == Mailbox::valid);
    CHECK(*table.check("joe-other", "virt.example") == Mailbox::unknown);
    CHECK(*table.check("ann", "virt.example") == Mailbox::unknown);
    CHECK(*table.check("anyone", "all.example") == Mailbox::valid);
    CHECK(*table.check("anyone", "mx.example.org") == Mailbox::not_virtual);
    CHECK(*table.check("postmaster", "") == Mailbox::not_virtual);
}
