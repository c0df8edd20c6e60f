#include "option_scan.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace mta;

namespace {

// The index of the first operand after scanning argv (argv[0] is the program).
int first_operand(std::vector<char const*> argv)
{
    int const argc = static_cast<int>(argv.size());
    argv.push_back(nullptr);
    int i = 1;
    while (at_option_cluster(argc, argv.data(), i))
        ++i;
    return i;
}

} // namespace

TEST_CASE("at_option_cluster stops at the first operand", "[lib][option_scan]")
{
    struct Case {
        std::vector<char const*> argv;
        int want;
    };
    std::vector<Case> const cases = {
        { { "p" }, 1 },
        { { "p", "x" }, 1 },
        { { "p", "-n", "x" }, 2 },
        { { "p", "-nN", "-a", "x", "-h" }, 3 },
        { { "p", "-n" }, 2 },
        { { "p", "-", "x" }, 1 },
        { { "p", "--", "-n" }, 2 },
        { { "p", "-n", "--" }, 3 },
        { { "p", "-n", "--", "--" }, 3 },
        { { "p", "" }, 1 },
    };
    for (auto const& c : cases) {
        int const got = first_operand(c.argv);
        INFO("argv size " << c.argv.size() << ": got " << got << ", want " << c.want);
        CHECK(got == c.want);
    }
}

TEST_CASE("at_option_cluster leaves i alone except after --", "[lib][option_scan]")
{
    char const* argv[] = { "p", "-f", "value", "--", "x", nullptr };
    int i = 1;
    CHECK(at_option_cluster(5, argv, i));
    CHECK(i == 1);
    i = 2;
    CHECK_FALSE(at_option_cluster(5, argv, i));
    CHECK(i == 2);
    i = 3;
    CHECK_FALSE(at_option_cluster(5, argv, i));
    CHECK(i == 4);
    i = 5;
    CHECK_FALSE(at_option_cluster(5, argv, i));
    CHECK(i == 5);
}
