#include "groups.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using send::Recipient;
using send::RecipientGroups;

namespace {

std::vector<std::string> addresses(std::vector<Recipient> const& group)
{
    std::vector<std::string> out;
    out.reserve(group.size());
    for (auto const& r : group)
        out.push_back(r.address);
    return out;
}

using Groups = std::vector<std::vector<std::string>>;

// Every group take(at_end) hands out after adding each address (offset = its index).
Groups run(std::vector<std::string> const& in, bool alone = false,
    RecipientGroups groups = RecipientGroups())
{
    Groups out;
    off_t offset = 0;
    for (auto const& a : in) {
        groups.add(offset++, a, alone);
        while (auto g = groups.take(false))
            out.push_back(addresses(*g));
    }
    while (auto g = groups.take(true))
        out.push_back(addresses(*g));
    CHECK(groups.empty());
    return out;
}

} // namespace

TEST_CASE("recipients of one domain share a group", "[send][groups]")
{
    CHECK(run({ "a@x.example", "b@y.example", "c@X.Example", "d@y.example", "e@z.example" })
        == Groups { { "a@x.example", "c@X.Example" }, { "b@y.example", "d@y.example" },
            { "e@z.example" } });
    // The domain is after the last '@'; no '@': alone; a VERP sender: each alone.
    CHECK(run({ "a@b@x.example", "c@x.example", "nohost", "d@x.example" })
        == Groups { { "nohost" }, { "a@b@x.example", "c@x.example", "d@x.example" } });
    CHECK(run({ "a@x.example", "b@x.example" }, true)
        == Groups { { "a@x.example" }, { "b@x.example" } });
    // Offsets stay with their recipients.
    RecipientGroups g;
    g.add(7, "a@x", false);
    g.add(19, "b@y", false);
    g.add(30, "c@x", false);
    CHECK_FALSE(g.take(false));
    auto first = g.take(true);
    REQUIRE(first);
    CHECK(*first == std::vector<Recipient> { { 7, "a@x" }, { 30, "c@x" } });
}

TEST_CASE("a group holds at most 100; pending recipients are bounded", "[send][groups]")
{
    std::vector<std::string> in;
    in.reserve(251);
    for (int i = 0; i < 250; ++i)
        in.push_back("u" + std::to_string(i) + "@x.example");
    in.insert(in.begin() + 10, "v@y.example");
    Groups got = run(in);
    REQUIRE(got.size() == 4);
    // A full group goes at once, before the open y.example group that started earlier.
    CHECK(got[0].size() == 100);
    CHECK(got[0].front() == "u0@x.example");
    CHECK(got[0].back() == "u99@x.example");
    CHECK(got[1].size() == 100);
    CHECK(got[1].front() == "u100@x.example");
    CHECK(got[2] == std::vector<std::string> { "v@y.example" });
    CHECK(got[3].size() == 50);
    // max_pending: once 5 recipients wait, the oldest open group goes before the end.
    Groups bounded
        = run({ "a@1", "b@2", "c@3", "d@4", "e@5", "f@6" }, false, RecipientGroups(100, 5));
    CHECK(bounded == Groups { { "a@1" }, { "b@2" }, { "c@3" }, { "d@4" }, { "e@5" }, { "f@6" } });
    RecipientGroups small(100, 5);
    for (auto a : { "a@1", "b@2", "c@1", "d@2" })
        small.add(0, a, false);
    CHECK_FALSE(small.take(false));
    small.add(0, "e@3", false);
    CHECK(addresses(*small.take(false)) == std::vector<std::string> { "a@1", "c@1" });
    CHECK_FALSE(small.take(false));
}
