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

// A single-form command as the parser gives it.
SpawnCommand single(
    unsigned slot, std::string id, std::string sender, std::string recipient, bool too_long = false)
{
    SpawnCommand c;
    c.slot = slot;
    c.message_id = std::move(id);
    c.sender = std::move(sender);
    c.recipient = std::move(recipient);
    c.too_long = too_long;
    return c;
}

SpawnCommand group_of(
    unsigned slot, std::string id, std::string sender, std::vector<std::string> const& recipients)
{
    SpawnCommand c = single(slot, std::move(id), std::move(sender), "");
    c.group = true;
    for (auto const& r : recipients)
        c.recipients.push_back({ r, false });
    return c;
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
        CHECK(got[0] == single(7, "3/26", "a@b", "c@d", false));
        CHECK(got[1] == single(200, "", "", "x", false));
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
    CHECK(got[1] == single(2, "1/2", "s", "r@h", false));
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
        { single(0, "3/26", "", "a@b"), false, std::nullopt },
        { single(119, "12/1234", "s@x", "@"), false, std::nullopt },
        { single(120, "3/26", "", "a@b"), false, "ZInternal error: delnum too big. (#4.3.5)\n" },
        { single(255, "x", "", "a"), false, "ZInternal error: delnum too big. (#4.3.5)\n" },
        { single(5, "3/26", "", "a@b"), true, "ZInternal error: delnum in use. (#4.3.5)\n" },
        { single(5, "/3", "", "a@b"), false,
            "DInternal error: messid has nonnumerics. (#5.3.5)\n" },
        { single(5, "3/../4", "", "a@b"), false,
            "DInternal error: messid has nonnumerics. (#5.3.5)\n" },
        { single(5, "3a", "", "a"), false, "DInternal error: messid has nonnumerics. (#5.3.5)\n" },
        { single(5, longid, "", "a@b"), false, "DInternal error: messid too long. (#5.3.5)\n" },
        { single(5, std::string(kSpawnMaxMessageId, '1'), "", "a@b"), false, std::nullopt },
        { single(5, "", "", "a@b"), false, "DInternal error: messid too short. (#5.3.5)\n" },
        { single(5, "3//", "", "a@b"), false, std::nullopt },
        { single(5, "3/26", "", "a@b", true), false,
            "DInternal error: address too long. (#5.1.3)\n" },
        { single(5, "3/26", "", "ab"), false,
            "DSorry, address must include host name. (#5.1.3)\n" },
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

TEST_CASE(
    "group commands: '+' before the id, recipients up to an empty field", "[lib][spawn_protocol]")
{
    std::string const group = encode_group(3, "12/1234", "s@x", { "a@h", "b@H", "c@h" });
    CHECK(group == std::string("\x03+12/1234\0s@x\0a@h\0b@H\0c@h\0\0", 27));
    std::string stream = command(1, "1/2", "s", "r@h") + group + command(2, "1/3", "", "q@h");
    for (size_t piece : { size_t(1), size_t(2), size_t(7), stream.size() }) {
        SpawnCommandParser parser;
        std::vector<SpawnCommand> got;
        for (size_t i = 0; i < stream.size(); i += piece)
            parser.feed(std::string_view(stream).substr(i, piece), got);
        REQUIRE(got.size() == 3);
        CHECK(got[0] == single(1, "1/2", "s", "r@h", false));
        CHECK(got[1].group);
        CHECK(got[1].slot == 3);
        CHECK(got[1].message_id == "12/1234");
        CHECK(got[1].sender == "s@x");
        CHECK(got[1].recipient.empty());
        CHECK(got[1].recipients
            == std::vector<SpawnRecipient> {
                { "a@h", false }, { "b@H", false }, { "c@h", false } });
        CHECK(got[1].result_count() == 3);
        CHECK(got[2] == single(2, "1/3", "", "q@h", false));
        CHECK(got[0].result_count() == 1);
        CHECK_FALSE(parser.mid_command());
    }
    auto check = check_group(group_of(3, "12/1234", "s@x", { "a@h", "b@H" }), 120, false);
    CHECK_FALSE(check.all);
    CHECK(check.each == std::vector<std::optional<std::string>> { std::nullopt, std::nullopt });
}

TEST_CASE(
    "group commands: every limit and garbage gives a result per recipient", "[lib][spawn_protocol]")
{
    auto parse_one = [](std::string const& bytes) {
        SpawnCommandParser parser;
        std::vector<SpawnCommand> got;
        parser.feed(bytes, got);
        REQUIRE(got.size() == 1);
        CHECK_FALSE(parser.mid_command());
        return got[0];
    };
    // 101 recipients: 100 kept, one counted; the whole group is refused, 101 results.
    std::vector<std::string> many;
    for (int i = 0; i <= 100; ++i)
        many.push_back("u" + std::to_string(i) + "@h");
    SpawnCommand big = parse_one(encode_group(0, "1/2", "s", many));
    CHECK(big.recipients.size() == kSpawnMaxGroup);
    CHECK(big.dropped == 1);
    CHECK(big.result_count() == 101);
    CHECK(check_group(big, 120, false).all
        == "ZInternal error: too many recipients in group. (#4.3.5)\n");
    CHECK(check_group(big, 120, false).each.empty());
    many.pop_back();
    CHECK_FALSE(check_group(parse_one(encode_group(0, "1/2", "s", many)), 120, false).all);
    // One recipient too long, one without '@': refused alone; the others run.
    SpawnCommand mixed = parse_one(encode_group(
        5, "1/2", "s", { "a@h", std::string(kSpawnMaxField + 9, 'l') + "@h", "nohost", "b@h" }));
    REQUIRE(mixed.recipients.size() == 4);
    CHECK(mixed.recipients[1].too_long);
    CHECK(mixed.recipients[1].address.size() == kSpawnMaxField);
    auto check = check_group(mixed, 120, false);
    CHECK_FALSE(check.all);
    CHECK(check.each
        == std::vector<std::optional<std::string>> { std::nullopt,
            "DInternal error: address too long. (#5.1.3)\n",
            "DSorry, address must include host name. (#5.1.3)\n", std::nullopt });
    // Refusals of the whole command, in check_command's order.
    struct Case {
        std::string bytes;
        bool in_use;
        std::string want;
    };
    Case const cases[] = {
        { encode_group(120, "1/2", "s", { "a@h" }), false,
            "ZInternal error: delnum too big. (#4.3.5)\n" },
        { encode_group(7, "1/2", "s", { "a@h" }), true,
            "ZInternal error: delnum in use. (#4.3.5)\n" },
        { encode_group(7, "+1/2", "s", { "a@h" }), false,
            "DInternal error: messid has nonnumerics. (#5.3.5)\n" },
        { encode_group(7, "", "s", { "a@h" }), false,
            "DInternal error: messid too short. (#5.3.5)\n" },
        { encode_group(7, std::string(kSpawnMaxMessageId + 5, '1'), "s", { "a@h" }), false,
            "DInternal error: messid too long. (#5.3.5)\n" },
        { encode_group(7, "1/2", std::string(kSpawnMaxField + 1, 's'), { "a@h" }), false,
            "DInternal error: address too long. (#5.1.3)\n" },
    };
    for (auto const& c : cases) {
        INFO(c.want);
        SpawnCommand got = parse_one(c.bytes);
        CHECK(got.group);
        CHECK(got.result_count() == 1);
        CHECK(check_group(got, 120, c.in_use).all == c.want);
    }
    // '+' only as the id's first byte; an empty group gets no result at all.
    CHECK_FALSE(parse_one(command(1, "1+2", "s", "a@h")).group);
    SpawnCommand empty = parse_one(std::string("\x01+1/2\0s\0\0", 9));
    CHECK(empty.group);
    CHECK(empty.result_count() == 0);
    // A stream cut inside a group: the command is pending, not produced.
    SpawnCommandParser parser;
    std::vector<SpawnCommand> got;
    parser.feed(std::string("\x01+1/2\0s\0a@h\0", 12), got);
    CHECK(got.empty());
    CHECK(parser.mid_command());
}
