#include "spawn_protocol.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

using namespace mta;

namespace {

std::string command(
    unsigned slot, std::string_view id, std::string_view sender, std::string_view recipient)
{
    return encode_command(slot, id, sender, recipient);
}

} // namespace

TEST_CASE("the parser cuts commands out of any split of the stream", "[lib][spawn_protocol]")
{
    std::string stream = command(7, "3/26", "a@b", "c@d") + command(200, "", "", "x");
    for (size_t piece : { size_t(1), size_t(3), size_t(5), stream.size() }) {
        SpawnCommandParser parser;
        std::vector<SpawnCommand> got;
        for (size_t i = 0; i < stream.size(); i += piece)
            parser.feed(std::string_view(stream).substr(i, piece), got);
        REQUIRE(got.size() == 2);
        CHECK(got[0] == SpawnCommand { 7, "3/26", "a@b", "c@d", false });
        CHECK(got[1] == SpawnCommand { 200, "", "", "x", false });
        CHECK_FALSE(parser.mid_command());
    }
    SpawnCommandParser parser;
    std::vector<SpawnCommand> got;
    parser.feed(std::string_view("\x01"
                                 "12/3\0a",
                    7),
        got);
    CHECK(got.empty());
    CHECK(parser.mid_command());
}

TEST_CASE("the parser bounds every field", "[lib][spawn_protocol]")
{
    SpawnCommandParser parser;
    std::vector<SpawnCommand> got;
    parser.feed(command(1, std::string(5000, '1'), std::string(kSpawnMaxField + 1, 's'), "r@h")
            + command(2, "1/2", "s", "r@h"),
        got);
    REQUIRE(got.size() == 2);
    CHECK(got[0].message_id.size() == kSpawnMaxMessageId + 1);
    CHECK(got[0].sender.size() == kSpawnMaxField);
    CHECK(got[0].too_long);
    CHECK(got[1] == SpawnCommand { 2, "1/2", "s", "r@h", false });
}

TEST_CASE("check_command applies spawn.c's checks in its order", "[lib][spawn_protocol]")
{
    struct Case {
        SpawnCommand command;
        bool in_use;
        std::optional<std::string> want;
    };
    std::string const longid(kSpawnMaxMessageId + 1, '1');
    Case const cases[] = {
        { { 0, "3/26", "", "a@b" }, false, std::nullopt },
        { { 119, "12/1234", "s@x", "@" }, false, std::nullopt },
        { { 120, "3/26", "", "a@b" }, false, "ZInternal error: delnum too big. (#4.3.5)\n" },
        { { 255, "x", "", "a" }, false, "ZInternal error: delnum too big. (#4.3.5)\n" },
        { { 5, "3/26", "", "a@b" }, true, "ZInternal error: delnum in use. (#4.3.5)\n" },
        { { 5, "/3", "", "a@b" }, false, "DInternal error: messid has nonnumerics. (#5.3.5)\n" },
        { { 5, "3/../4", "", "a@b" }, false,
            "DInternal error: messid has nonnumerics. (#5.3.5)\n" },
        { { 5, "3a", "", "a" }, false, "DInternal error: messid has nonnumerics. (#5.3.5)\n" },
        { { 5, longid, "", "a@b" }, false, "DInternal error: messid too long. (#5.3.5)\n" },
        { { 5, std::string(kSpawnMaxMessageId, '1'), "", "a@b" }, false, std::nullopt },
        { { 5, "", "", "a@b" }, false, "DInternal error: messid too short. (#5.3.5)\n" },
        { { 5, "3//", "", "a@b" }, false, std::nullopt },
        { { 5, "3/26", "", "a@b", true }, false, "DInternal error: address too long. (#5.1.3)\n" },
        { { 5, "3/26", "", "ab" }, false, "DSorry, address must include host name. (#5.1.3)\n" },
    };
    for (auto const& c : cases) {
        INFO("slot " << c.command.slot << " id " << c.command.message_id << " rcpt "
                     << c.command.recipient);
        CHECK(check_command(c.command, 120, c.in_use) == c.want);
    }
}

TEST_CASE("cut_report keeps short output and cuts long output as spawn.c", "[lib][spawn_protocol]")
{
    CHECK(cut_report("did 1+0+0\n", 3000) == "did 1+0+0\n");
    CHECK(cut_report(std::string(3000, 'x'), 3000) == std::string(3000, 'x'));
    std::string cut = cut_report(std::string(3001, 'x'), 3000);
    CHECK(cut == std::string(2966, 'x') + "\nError report too long, sorry.\n");
}
