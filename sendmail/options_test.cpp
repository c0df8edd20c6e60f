#include "options.hpp"
#include "run.hpp"

#include <catch2/catch.hpp>

using sendmail::Action;
using sendmail::EnvChange;
using Args = std::vector<std::string>;

namespace {

sendmail::Plan parse(Args const& args, std::string_view invoked_as = "sendmail")
{
    return sendmail::parse(invoked_as, args);
}

std::vector<EnvChange> const kSenderClears = {
    { "QMAILNAME", std::nullopt },
    { "MAILNAME", std::nullopt },
    { "NAME", std::nullopt },
    { "QMAILHOST", std::nullopt },
    { "MAILHOST", std::nullopt },
};

std::vector<EnvChange> sender_env(std::string user, std::optional<std::string> host)
{
    auto env = kSenderClears;
    if (host)
        env.push_back({ "QMAILHOST", *host });
    env.push_back({ "QMAILUSER", user });
    return env;
}

} // namespace

TEST_CASE("sendmail translates its argv into inject's", "[sendmail][options]")
{
    struct Case {
        Args args;
        Args want;
    };
    Case const cases[] = {
        { {}, { "-a", "--" } },
        { { "bob@example.org" }, { "-a", "--", "bob@example.org" } },
        { { "-t" }, { "-H", "--" } },
        { { "-t", "-i" }, { "-H", "--" } },
        { { "-oi", "-t" }, { "-H", "--" } },
        { { "-ti" }, { "-H", "--" } },
        { { "-it", "x@y" }, { "-H", "--", "x@y" } },
        { { "-i", "a@b", "c@d" }, { "-a", "--", "a@b", "c@d" } },
        // Ignored options, with their arguments attached or in the next word.
        { { "-v", "-m", "-x", "-oem", "-odb", "-oQ/tmp", "-o", "i", "a@b" },
            { "-a", "--", "a@b" } },
        { { "-B8BITMIME", "-B", "7BIT", "-eq", "-e", "m", "-prelay", "-p", "x", "a@b" },
            { "-a", "--", "a@b" } },
        { { "-bm", "a@b" }, { "-a", "--", "a@b" } },
        { { "-b", "m", "a@b" }, { "-a", "--", "a@b" } },
        // -E and -J take an optional argument attached to them only.
        { { "-E", "a@b" }, { "-a", "--", "a@b" } },
        { { "-Jfoo", "-t" }, { "-H", "--" } },
        { { "-Et", "a@b" }, { "-a", "--", "a@b" } },
        // -- ends the options; so does the first recipient, and a lone "-".
        { { "--", "-t" }, { "-a", "--", "-t" } },
        { { "-i", "--", "a@b", "-oi" }, { "-a", "--", "a@b", "-oi" } },
        { { "a@b", "-t" }, { "-a", "--", "a@b", "-t" } },
        { { "-", "a@b" }, { "-a", "--", "-", "a@b" } },
        // A sender attached, separate, grouped behind flags, bracketed or empty.
        { { "-fbob@example.org" }, { "-a", "-f", "bob@example.org", "--" } },
        { { "-f", "bob@example.org", "-t" }, { "-H", "-f", "bob@example.org", "--" } },
        { { "-tif", "bob@example.org" }, { "-H", "-f", "bob@example.org", "--" } },
        { { "-f", "<bob@example.org>" }, { "-a", "-f", "bob@example.org", "--" } },
        { { "-f", "" }, { "-a", "-f", "", "--" } },
        { { "-f<>" }, { "-a", "-f", "", "--" } },
        { { "-fa@b", "-fc@d" }, { "-a", "-f", "c@d", "--" } },
        // -F is an environment change only.
        { { "-F", "Bob Smith", "a@b" }, { "-a", "--", "a@b" } },
    };
    for (auto const& c : cases) {
        auto plan = parse(c.args);
        INFO("args: " << Catch::Detail::stringify(c.args));
        CHECK(plan.action == Action::inject);
        CHECK(plan.inject_args == c.want);
    }
}

TEST_CASE("sendmail -f sets the inject environment like qmail's", "[sendmail][options]")
{
    CHECK(parse({ "-t" }).env.empty());
    CHECK(parse({ "-fbob@example.org" }).env == sender_env("bob", "example.org"));
    // Split at the last '@'.
    CHECK(parse({ "-f", "\"a@b\"@example.org" }).env == sender_env("\"a@b\"", "example.org"));
    // Without an '@' the whole sender is the user and the host is left to inject.
    CHECK(parse({ "-f", "bob" }).env == sender_env("bob", std::nullopt));
    // The null sender names nobody: the caller's variables stay, for inject's From line.
    CHECK(parse({ "-f", "" }).env.empty());
    CHECK(parse({ "-f", "<>" }).env.empty());
    std::vector<EnvChange> name_only = { { "QMAILNAME", std::nullopt }, { "MAILNAME", "Bob" } };
    CHECK(parse({ "-f", "<>", "-F", "Bob" }).env == name_only);
    CHECK(parse({ "-f", "<bob@x.org>" }).env == sender_env("bob", "x.org"));
}

TEST_CASE("sendmail -F sets MAILNAME and wins over -f and QMAILNAME", "[sendmail][options]")
{
    std::vector<EnvChange> name_only = { { "QMAILNAME", std::nullopt }, { "MAILNAME", "Bob" } };
    CHECK(parse({ "-FBob" }).env == name_only);
    CHECK(parse({ "-F", "Bob" }).env == name_only);
    // qmail dropped -F when -f came too; here the name stays, whatever the order.
    auto both = sender_env("bob", "x.org");
    both.insert(both.end(), name_only.begin(), name_only.end());
    CHECK(parse({ "-F", "Bob", "-f", "bob@x.org" }).env == both);
    CHECK(parse({ "-f", "bob@x.org", "-F", "Bob" }).env == both);

    mta::EnvBuilder env;
    REQUIRE(env.set("QMAILNAME", "Inherited").ok());
    REQUIRE(env.set("MAILHOST", "old.example").ok());
    REQUIRE(env.set("PATH", "/bin").ok());
    REQUIRE(sendmail::apply_env(parse({ "-F", "Bob", "-f", "bob@x.org" }).env, env).ok());
    CHECK(env.entries()
        == std::vector<std::string> {
            "PATH=/bin", "QMAILHOST=x.org", "QMAILUSER=bob", "MAILNAME=Bob" });
}

TEST_CASE("sendmail modes: -bp, mailq, newaliases, -bs", "[sendmail][options]")
{
    CHECK(parse({ "-bp" }).action == Action::list_queue);
    CHECK(parse({ "-b", "p" }).action == Action::list_queue);
    // -bp decides at once, as in qmail: later words are not looked at.
    CHECK(parse({ "-bp", "-Z" }).action == Action::list_queue);
    CHECK(parse({}, "mailq").action == Action::list_queue);
    CHECK(parse({ "-v" }, "mailq").action == Action::list_queue);
    CHECK(parse({}, "newaliases").action == Action::newaliases);
    auto bs = parse({ "-bs" });
    CHECK(bs.action == Action::smtp);
    CHECK(sendmail::invoked_as("/var/mail-suite/bin/mailq") == "mailq");
    CHECK(sendmail::invoked_as("newaliases") == "newaliases");
    CHECK(sendmail::invoked_as("/usr/sbin/sendmail") == "sendmail");
}

TEST_CASE("sendmail refuses unknown options with a usage error", "[sendmail][options]")
{
    struct Case {
        Args args;
        const char* problem;
    };
    Case const cases[] = {
        { { "-Z" }, "unknown option -Z" },
        { { "-tZ" }, "unknown option -Z" },
        { { "-oi", "-q" }, "unknown option -q" },
        { { "--help" }, "unknown option --help" },
        { { "-f" }, "option -f needs an argument" },
        { { "-t", "-F" }, "option -F needs an argument" },
        { { "-o" }, "option -o needs an argument" },
        { { "-bx" }, "unknown mode -bx" },
        { { "-b", "" }, "unknown mode -b" },
        { { "-bm", "-Q" }, "unknown option -Q" },
    };
    for (auto const& c : cases) {
        INFO("args: " << Catch::Detail::stringify(c.args));
        auto plan = parse(c.args);
        CHECK(plan.action == Action::usage);
        CHECK(plan.problem == c.problem);
    }
    // A usage error comes before the name it was invoked under.
    CHECK(parse({ "-Z" }, "mailq").action == Action::usage);
    CHECK(parse({ "-Z" }, "newaliases").action == Action::usage);
}

TEST_CASE("inject is run from ROOT/bin with the plan's arguments", "[sendmail][options]")
{
    auto plan = parse({ "-oi", "-t", "-f", "a@b", "c@d" });
    CHECK(sendmail::inject_argv("/var/mail-suite", plan)
        == Args { "/var/mail-suite/bin/inject", "-H", "-f", "a@b", "--", "c@d" });
}
