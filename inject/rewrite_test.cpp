#include "rewrite.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace inject;

namespace {

Rewriter make_rewriter()
{
    auto rw = Rewriter::make("dh.example", "dd.example", "pd.example");
    REQUIRE(rw);
    return std::move(*rw);
}

} // namespace

TEST_CASE("rewrite_address applies qmail's rules", "[inject][rewrite]")
{
    struct Case {
        std::string_view input;
        std::string_view want;
    };
    std::vector<Case> const cases = {
        { "joe", "joe@dh.example" }, // bare box
        { "joe@host", "joe@host.dd.example" }, // dotless host
        { "joe@host.org", "joe@host.org" }, { "joe@host+", "joe@host.pd.example" }, // trailing +
        { "joe@a.b+", "joe@a.b.pd.example" },
        { "joe+", "joe+@dh.example" }, // only the host's '+' counts
        { "joe@[1.2.3.4]", "joe@[1.2.3.4]" }, // literals are complete
        { "joe@[]", "joe@[]" }, // VERP placeholder untouched
        { "@r1,@r2:joe@x.org", "joe@x.org" }, // source route removed
        { "@r1:joe", "joe@dh.example" }, { "@r1", "" }, // a route without ':' leaves nothing
        { "@r1:@h+", "" }, // what is left of a route is no address either
        { "joe@h.@", "joe@h.dd.example" }, { "joe@.", "joe@dh.example" },
        { "joe@host\n+", "joe@host.pd.example" }, // '+' as its own atom
        { "joe@x.org.", "joe@x.org" }, // trailing dot
        { "joe@", "joe@dh.example" }, // trailing '@'
        { ".", "" }, { "@", "" }, { "", "" }, { "\"john doe\"", "john doe@dh.example" },
        { "\"john doe\"@host", "john doe@host.dd.example" },
        { "a.b.c", "a.b.c@dh.example" }, // dots in the box do not count
    };
    auto rw = make_rewriter();
    for (auto const& c : cases) {
        INFO("input: " << c.input);
        auto tokens = tokenize(c.input);
        REQUIRE(tokens);
        rw.rewrite_address(*tokens);
        CHECK(address_text(*tokens) == c.want);
    }
}

TEST_CASE("rewrite_field rewrites and collects every address", "[inject][rewrite]")
{
    struct Case {
        std::string_view value;
        std::string_view want_text;
        std::vector<std::string> want_addresses;
    };
    std::vector<Case> const cases = {
        { " joe", "To: joe@dh.example\n", { "joe@dh.example" } },
        { " Joe Smith <js@host> (work), ann",
            "To: Joe Smith <js@host.dd.example> (work), ann@dh.example\n",
            { "js@host.dd.example", "ann@dh.example" } },
        { " list: a, b@c.d;, e", "To: list: a@dh.example, b@c.d;, e@dh.example\n",
            { "a@dh.example", "b@c.d", "e@dh.example" } },
        { " <@r:u@h>", "To: <u@h.dd.example>\n", { "u@h.dd.example" } },
        { " <>", "To: <>\n", { "" } },
        { " \"a b\"@c.d", "To: \"a b\"@c.d\n", { "a b@c.d" } },
        { " a@b.c\n d@e.f", "To: a@b.c, d@e.f\n", { "a@b.c", "d@e.f" } },
        { " undisclosed-recipients: ;", "To: undisclosed-recipients: ;\n", {} },
    };
    auto rw = make_rewriter();
    for (auto const& c : cases) {
        INFO("value: " << c.value);
        auto got = rw.rewrite_field("To", c.value);
        REQUIRE(got);
        CHECK(got->text == c.want_text);
        CHECK(got->addresses == c.want_addresses);
    }
    auto bad = rw.rewrite_field("To", " \"open");
    REQUIRE(!bad);
    CHECK(std::string(bad.error().what) == "unterminated quoted string");
}

TEST_CASE("rewrite_argument quotes like quote2 and rewrites", "[inject][rewrite]")
{
    struct Case {
        std::string_view input;
        std::string_view want;
    };
    std::vector<Case> const cases = {
        { "joe", "joe@dh.example" },
        { "joe@x.org", "joe@x.org" },
        { "joe smith@x.org", "joe smith@x.org" },
        { "a@b@x.org", "a@b@x.org" }, // the last '@' splits
        { "<joe@x.org>", "joe@x.org" },
        { "<>", "" },
        { "", "" },
        { "joe@host", "joe@host.dd.example" },
        { "joe@x.org (comment)", "joe@x.org" },
    };
    auto rw = make_rewriter();
    for (auto const& c : cases) {
        INFO("input: " << c.input);
        auto got = rw.rewrite_argument(c.input);
        REQUIRE(got);
        CHECK(*got == c.want);
    }
    CHECK(!rw.rewrite_argument("joe@x)"));
}

TEST_CASE("quote_address quotes the local part when needed", "[inject][rewrite]")
{
    CHECK(quote_address("").empty());
    CHECK(quote_address("joe@x.org") == "joe@x.org");
    CHECK(quote_address("john doe@x.org") == "\"john doe\"@x.org");
    CHECK(quote_address("a\"b@x") == "\"a\\\"b\"@x");
    CHECK(quote_address("joe") == "joe");
    CHECK(quote_address("u-@h-@[]") == "\"u-@h-\"@[]");
}

TEST_CASE("Rewriter::make refuses control values that do not tokenize", "[inject][rewrite]")
{
    CHECK(!Rewriter::make("host\"", "d", "p"));
    CHECK(!Rewriter::make("h", "(d", "p"));
    CHECK(!Rewriter::make("h", "d", "p]"));
}

TEST_CASE("a dotless default domain is not added to itself", "[inject][rewrite]")
{
    // control/me "vm" (a host whose name has no dot): defaulthost and defaultdomain are
    // "vm"; qmail would make root@vm.vm, which is no local domain.
    auto rw = Rewriter::make("vm", "vm", "vm");
    REQUIRE(rw);
    CHECK(*rw->rewrite_argument("root") == "root@vm");
    CHECK(*rw->rewrite_argument("root@vm") == "root@vm");
    CHECK(*rw->rewrite_argument("root@VM") == "root@VM");
    CHECK(*rw->rewrite_argument("joe@nas") == "joe@nas.vm"); // other dotless hosts as before
    auto dotted = Rewriter::make("dh.example", "example", "pd.example");
    REQUIRE(dotted);
    CHECK(*dotted->rewrite_argument("joe@example") == "joe@example");
    CHECK(*dotted->rewrite_argument("joe@box") == "joe@box.example");
}
