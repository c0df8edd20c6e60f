#include "environment.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

using namespace local;

TEST_CASE("EXT2..EXT4 drop one more dash-separated part each", "[local][environment]")
{
    struct {
        std::string_view ext;
        std::string_view want1, want2, want3;
    } const cases[] = {
        { "", "", "", "" },
        { "foo", "", "", "" },
        { "list-Foo", "Foo", "", "" },
        { "a-b-c-d-e", "b-c-d-e", "c-d-e", "d-e" },
        { "a--b", "-b", "b", "" },
        { "-", "", "", "" },
    };
    for (auto const& c : cases) {
        INFO("ext " << c.ext);
        CHECK(ext_after_dashes(c.ext, 1) == c.want1);
        CHECK(ext_after_dashes(c.ext, 2) == c.want2);
        CHECK(ext_after_dashes(c.ext, 3) == c.want3);
    }
}

TEST_CASE(
    "HOST2..HOST4 drop one more label each, stopping when none is left", "[local][environment]")
{
    struct {
        std::string_view host;
        std::string_view want2, want3, want4;
    } const cases[] = {
        { "a.b.c.d", "a.b.c", "a.b", "a" },
        { "mail.example.org", "mail.example", "mail", "mail" },
        { "localhost", "localhost", "localhost", "localhost" },
        { "", "", "", "" },
        { "[192.0.2.1]", "[192.0.2", "[192.0", "[192" },
    };
    for (auto const& c : cases) {
        INFO("host " << c.host);
        CHECK(host_without_labels(c.host, 1) == c.want2);
        CHECK(host_without_labels(c.host, 2) == c.want3);
        CHECK(host_without_labels(c.host, 3) == c.want4);
    }
}

TEST_CASE("the delivery environment holds qmail-local's variables", "[local][environment]")
{
    ::setenv("DEFAULT", "stale", 1);
    ::setenv("MTA_TEST_KEPT", "yes", 1);
    Recipient r { "joe", "/home/joe", "joe-list-Foo", "-", "list-Foo", "lists.example.org",
        "a@b.example", "./Maildir/\n" };
    AddedLines lines { "Return-Path: <a@b.example>\n",
        "Delivered-To: joe-list-Foo@lists.example.org\n",
        "From a@b.example Thu Jan 01 00:00:00 1970\n" };

    auto env = delivery_environment(r, lines, "joe-list-owner@lists.example.org", std::nullopt);
    REQUIRE(env.ok());
    struct {
        std::string_view name, want;
    } const cases[] = {
        { "USER", "joe" },
        { "HOME", "/home/joe" },
        { "LOCAL", "joe-list-Foo" },
        { "HOST", "lists.example.org" },
        { "RECIPIENT", "joe-list-Foo@lists.example.org" },
        { "SENDER", "a@b.example" },
        { "NEWSENDER", "joe-list-owner@lists.example.org" },
        { "DTLINE", "Delivered-To: joe-list-Foo@lists.example.org\n" },
        { "RPLINE", "Return-Path: <a@b.example>\n" },
        { "UFLINE", "From a@b.example Thu Jan 01 00:00:00 1970\n" },
        { "EXT", "list-Foo" },
        { "EXT2", "Foo" },
        { "EXT3", "" },
        { "EXT4", "" },
        { "HOST2", "lists.example" },
        { "HOST3", "lists" },
        { "HOST4", "lists" },
        { "MTA_TEST_KEPT", "yes" },
    };
    for (auto const& c : cases) {
        INFO("variable " << c.name);
        auto got = env->get(c.name);
        REQUIRE(got.has_value());
        CHECK(*got == c.want);
    }
    CHECK_FALSE(env->get("DEFAULT").has_value()); // no -default file: not inherited either

    auto with_default = delivery_environment(r, lines, "x", std::string("Foo"));
    REQUIRE(with_default.ok());
    CHECK(with_default->get("DEFAULT") == std::optional<std::string_view>("Foo"));
    ::unsetenv("DEFAULT");
    ::unsetenv("MTA_TEST_KEPT");
}
