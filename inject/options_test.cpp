#include "options.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

using namespace inject;

namespace {

mta::Result<Options> parse(std::vector<std::string> args)
{
    args.insert(args.begin(), "inject");
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    return parse_options(static_cast<int>(args.size()), argv.data());
}

EnvLookup env_of(std::map<std::string, std::string> const& vars)
{
    return [vars](char const* name) -> std::optional<std::string_view> {
        auto it = vars.find(name);
        if (it == vars.end())
            return std::nullopt;
        return std::string_view(it->second);
    };
}

} // namespace

TEST_CASE("parse_options reads qmail-inject's options", "[inject][options]")
{
    auto o = parse({});
    REQUIRE(o);
    CHECK_FALSE(o->print);
    CHECK(o->recipients == Recipients::args_or_header);
    CHECK(uses_header_recipients(*o));

    o = parse({ "-n", "-a", "x@y" });
    REQUIRE(o);
    CHECK(o->print);
    CHECK(o->recipients == Recipients::args);
    CHECK(o->args == std::vector<std::string> { "x@y" });
    CHECK_FALSE(uses_header_recipients(*o));

    o = parse({ "-nH", "-fsender@x", "-F", "Joe User", "--", "-dash@x", "b" });
    REQUIRE(o);
    CHECK(o->recipients == Recipients::both);
    CHECK(o->sender == "sender@x");
    CHECK(o->name == "Joe User");
    CHECK(o->args == std::vector<std::string> { "-dash@x", "b" });

    o = parse({ "-n", "-N", "-h", "ignored@x" });
    REQUIRE(o);
    CHECK_FALSE(o->print);
    CHECK(uses_header_recipients(*o));
    CHECK_FALSE(uses_argument_recipients(*o));

    o = parse({ "-A", "a@b" });
    REQUIRE(o);
    CHECK_FALSE(uses_header_recipients(*o));
    CHECK(uses_argument_recipients(*o));

    o = parse({ "a@b", "-n" }); // options end at the first argument
    REQUIRE(o);
    CHECK_FALSE(o->print);
    CHECK(o->args.size() == 2);

    o = parse({ "-f", "" });
    REQUIRE(o);
    CHECK(o->sender == "");

    CHECK(!parse({ "-x" }));
    CHECK(!parse({ "-f" }));
    CHECK(!parse({ "-nF" }));
    CHECK(!parse({ "--help" }));
}

TEST_CASE("parse_flags reads QMAILINJECT", "[inject][options]")
{
    Flags f = parse_flags("csfirmxyz");
    CHECK(f.name_comment);
    CHECK(f.delete_return_path);
    CHECK(f.delete_from);
    CHECK(f.delete_message_id);
    CHECK(f.verp_recipient);
    CHECK(f.verp_message);
    Flags none = parse_flags("");
    CHECK_FALSE(none.name_comment);
    CHECK_FALSE(none.verp_message);
}

TEST_CASE("identity_from follows qmail's fallbacks", "[inject][options]")
{
    Identity id = identity_from(env_of({}), std::nullopt);
    CHECK(id.user == "anonymous");
    CHECK_FALSE(id.host);
    CHECK_FALSE(id.name);
    CHECK(id.sender_user == "anonymous");

    id = identity_from(env_of({ { "LOGNAME", "l" }, { "USER", "u" }, { "MAILHOST", "mh" },
                           { "NAME", "n" }, { "MAILNAME", "mn" } }),
        std::nullopt);
    CHECK(id.user == "u");
    CHECK(id.host == "mh");
    CHECK(id.name == "mn");
    CHECK(id.sender_host == "mh");

    id = identity_from(env_of({ { "QMAILUSER", "q" }, { "MAILUSER", "m" }, { "QMAILHOST", "qh" },
                           { "QMAILNAME", "qn" }, { "QMAILSUSER", "s" }, { "QMAILSHOST", "sh" } }),
        std::string("Dash F"));
    CHECK(id.user == "q");
    CHECK(id.host == "qh");
    CHECK(id.name == "Dash F");
    CHECK(id.sender_user == "s");
    CHECK(id.sender_host == "sh");
}

TEST_CASE("load_controls falls back to me, then to the file's name", "[inject][options]")
{
    mta::test::TempDir dir;
    std::filesystem::create_directory(dir.file("control"));
    auto load = [&](std::map<std::string, std::string> const& env) {
        auto got = load_controls(dir.path(), env_of(env));
        REQUIRE(std::holds_alternative<Controls>(got));
        return std::get<Controls>(got);
    };
    Controls c = load({});
    CHECK(c.defaulthost == "defaulthost");
    CHECK(c.defaultdomain == "defaultdomain");
    CHECK(c.plusdomain == "plusdomain");
    CHECK(c.idhost == "idhost");

    dir.write("control/me", "me.example\n");
    dir.write("control/defaultdomain", "dd.example  \n");
    c = load({});
    CHECK(c.defaulthost == "me.example");
    CHECK(c.defaultdomain == "dd.example");
    CHECK(c.idhost == "me.example");

    c = load({ { "QMAILDEFAULTHOST", "eh" }, { "QMAILDEFAULTDOMAIN", "ed" },
        { "QMAILPLUSDOMAIN", "ep" }, { "QMAILIDHOST", "ei" } });
    CHECK(c.defaulthost == "eh");
    CHECK(c.defaultdomain == "ed");
    CHECK(c.plusdomain == "ep");
    CHECK(c.idhost == "ei");

    std::filesystem::create_directory(dir.file("control/plusdomain"));
    auto bad = load_controls(dir.path(), env_of({}));
    REQUIRE(std::holds_alternative<ControlError>(bad));
    CHECK(std::get<ControlError>(bad).path == dir.path() + "/control/plusdomain");
}

TEST_CASE("load_followup_lists reads QMAILMFTFILE", "[inject][options]")
{
    mta::test::TempDir dir;
    std::string file = dir.write("mft", "# lists\nlist@x.org\n\nother@y.org\n");
    auto lists = load_followup_lists(env_of({ { "QMAILMFTFILE", file } }));
    REQUIRE(lists);
    CHECK(*lists == std::vector<std::string> { "list@x.org", "other@y.org" });
    auto none = load_followup_lists(env_of({}));
    REQUIRE(none);
    CHECK(none->empty());
    auto missing = load_followup_lists(env_of({ { "QMAILMFTFILE", dir.file("nope") } }));
    REQUIRE(missing);
    CHECK(missing->empty());
}
