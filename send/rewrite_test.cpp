#include "rewrite.hpp"

#include <catch2/catch.hpp>

namespace {

send::Routing test_routing()
{
    send::Routing r;
    r.envnoathost = "envnoat.example";
    r.locals = send::make_domain_set({ "Here.Example", "localhost", "envnoat.example" });
    r.percenthack = send::make_domain_set({ "gateway.example", "relay.example" });
    r.virtualdomains = send::make_virtual_domains({
        "virt.example:vu", // a domain
        "Joe@Virt.Example:joe-box", // one address, before the domain
        ".sub.example:subs", // every subdomain of sub.example
        "except.sub.example:", // an exception: remote
        "nocolon.example", // ignored
        "twice.example:first",
        "twice.example:second", // the last line wins, as qmail's constmap
    });
    return r;
}

} // namespace

TEST_CASE("rewrite: qmail-send's address table", "[send][rewrite]")
{
    using send::Channel;
    struct Case {
        const char* in;
        Channel channel;
        const char* out;
    };
    Case const cases[] = {
        // locals, case-insensitive, address unchanged
        { "bob@here.example", Channel::local, "bob@here.example" },
        { "Bob@HERE.EXAMPLE", Channel::local, "Bob@HERE.EXAMPLE" },
        { "x@localhost", Channel::local, "x@localhost" },
        // no @: envnoathost, which is local here
        { "bare", Channel::local, "bare@envnoat.example" },
        // remote
        { "ann@elsewhere.example", Channel::remote, "ann@elsewhere.example" },
        { "a@here.example.evil", Channel::remote, "a@here.example.evil" },
        // percenthack: the last % becomes @, repeatedly while the domain qualifies
        { "u%elsewhere.example@gateway.example", Channel::remote, "u@elsewhere.example" },
        { "u%here.example@gateway.example", Channel::local, "u@here.example" },
        { "u%relay.example%gateway.example@gateway.example", Channel::remote, "u@relay.example" },
        { "u%b%relay.example@GATEWAY.example", Channel::remote, "u@b" },
        { "u%x@elsewhere.example", Channel::remote, "u%x@elsewhere.example" }, // not percenthack
        { "plain@gateway.example", Channel::remote, "plain@gateway.example" }, // no %
        // virtualdomains: the whole address first, then the domain, then suffixes
        { "joe@virt.example", Channel::local, "joe-box-joe@virt.example" },
        { "amy@virt.example", Channel::local, "vu-amy@virt.example" },
        { "Amy@VIRT.example", Channel::local, "vu-Amy@VIRT.example" },
        { "x@a.sub.example", Channel::local, "subs-x@a.sub.example" },
        { "x@b.a.sub.example", Channel::local, "subs-x@b.a.sub.example" },
        { "x@sub.example", Channel::remote, "x@sub.example" }, // .sub.example is suffixes only
        { "x@except.sub.example", Channel::remote, "x@except.sub.example" }, // exception
        { "x@y.except.sub.example", Channel::local, "subs-x@y.except.sub.example" },
        { "x@nocolon.example", Channel::remote, "x@nocolon.example" },
        { "x@twice.example", Channel::local, "second-x@twice.example" },
        // an empty local part and an empty domain
        { "@virt.example", Channel::local, "vu-@virt.example" },
        { "x@", Channel::remote, "x@" },
    };
    send::Routing const routing = test_routing();
    for (auto const& c : cases) {
        INFO("rewrite(" << c.in << ")");
        send::Route got = send::rewrite(routing, c.in);
        CHECK(got.address == c.out);
        CHECK(got.channel == c.channel);
    }
}

TEST_CASE("rewrite: the empty key catches every other domain", "[send][rewrite]")
{
    send::Routing r;
    r.envnoathost = "h.example";
    r.locals = send::make_domain_set({ "h.example" });
    r.virtualdomains = send::make_virtual_domains({ ":catchall", "keep.example:" });
    CHECK(send::rewrite(r, "a@x.example")
        == send::Route { send::Channel::local, "catchall-a@x.example" });
    CHECK(send::rewrite(r, "a@keep.example")
        == send::Route { send::Channel::remote, "a@keep.example" });
    CHECK(send::rewrite(r, "a@h.example") == send::Route { send::Channel::local, "a@h.example" });
}

TEST_CASE("rewrite: the virtual-domain prefix comes off for bounce reports", "[send][rewrite]")
{
    send::Routing const routing = test_routing();
    struct Case {
        const char* in;
        const char* out;
    };
    Case const cases[] = {
        { "vu-amy@virt.example", "amy@virt.example" },
        { "subs-x@a.sub.example", "x@a.sub.example" },
        { "other-amy@virt.example", "other-amy@virt.example" }, // not our prefix
        { "vuamy@virt.example", "vuamy@virt.example" }, // no dash after it
        { "bob@here.example", "bob@here.example" },
        { "x@except.sub.example", "x@except.sub.example" },
        { "noat", "noat" },
    };
    for (auto const& c : cases) {
        INFO(c.in);
        CHECK(send::strip_virtual_prefix(routing, c.in) == c.out);
    }
}

TEST_CASE("rewrite: VERP senders", "[send][rewrite]")
{
    CHECK(send::verp_sender("list-@lists.example-@[]", "bob@example.org")
        == "list-bob=example.org@lists.example");
    CHECK(send::verp_sender("owner-@h-@[]", "x@y") == "owner-x=y@h");
    CHECK(send::verp_sender("plain@example.org", "bob@example.org") == "plain@example.org");
    CHECK(send::verp_sender("", "bob@example.org").empty());
    CHECK(send::verp_sender("nohost-@[]", "bob@example.org") == "nohost-@[]");
    CHECK(send::verp_sender("list-@lists.example-@[]", "noat") == "list-@lists.example-@[]");

    CHECK(send::bounce_recipient("list-@lists.example-@[]") == "list-@lists.example");
    CHECK(send::bounce_recipient("a@b.example") == "a@b.example");
    CHECK(send::bounce_recipient("").empty());
    CHECK(send::bounce_recipient("#@[]") == "#@[]");
}
