// spawn_fuzz - libFuzzer target for the spawner's command parser (lib/spawn_protocol.hpp):
// the bytes send writes on a spawner's fd 0.
//
//     make fuzz && cp -r fuzz/corpus/spawn /tmp/corpus &&
//         build-fuzz/spawn_fuzz -max_total_time=60 /tmp/corpus
//
// Checked promises: feeding the input whole or in arbitrary pieces gives the same
// commands; no field exceeds kSpawnMaxField; a group keeps at most kSpawnMaxGroup
// recipients, none empty; check_command and check_group never crash and accept only
// commands with a digits-and-slash id and recipients holding '@'; a group's check gives
// one answer per kept recipient (or one for all); encode_group of an accepted group
// parses back to the same addresses.
#include "spawn_protocol.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

void require(bool condition)
{
    if (!condition)
        __builtin_trap();
}

void check_group_command(mta::SpawnCommand const& command)
{
    require(command.recipient.empty());
    require(command.recipients.size() <= mta::kSpawnMaxGroup);
    require(command.dropped == 0 || command.recipients.size() == mta::kSpawnMaxGroup);
    for (auto const& r : command.recipients)
        require(!r.address.empty() && r.address.size() <= mta::kSpawnMaxField);
    auto check = mta::check_group(command, mta::kSpawnSlots, false);
    if (check.all) {
        require(check.each.empty());
        return;
    }
    require(command.dropped == 0);
    require(check.each.size() == command.recipients.size());
    require(!command.message_id.empty());
    require(command.message_id.find_first_not_of("0123456789/") == std::string::npos);
    std::vector<std::string> addresses;
    for (size_t i = 0; i < check.each.size(); ++i) {
        require(check.each[i] || command.recipients[i].address.find('@') != std::string::npos);
        addresses.push_back(command.recipients[i].address);
    }
    if (addresses.empty())
        return;
    std::vector<mta::SpawnCommand> again;
    mta::SpawnCommandParser parser;
    parser.feed(
        mta::encode_group(command.slot, command.message_id, command.sender, addresses), again);
    require(again.size() == 1 && again[0].group && again[0].recipients.size() == addresses.size());
    for (size_t i = 0; i < addresses.size(); ++i)
        require(again[0].recipients[i].address == addresses[i]); // too_long is not sent
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(uint8_t const* data, size_t size)
{
    std::string_view input(reinterpret_cast<char const*>(data), size);
    std::vector<mta::SpawnCommand> whole;
    mta::SpawnCommandParser parser;
    parser.feed(input, whole);

    std::vector<mta::SpawnCommand> pieces;
    mta::SpawnCommandParser piecewise;
    size_t step = size > 0 ? (data[0] % 7) + 1 : 1;
    for (size_t at = 0; at < size; at += step)
        piecewise.feed(input.substr(at, step), pieces);
    require(whole == pieces);
    require(parser.mid_command() == piecewise.mid_command());

    for (auto const& command : whole) {
        require(command.message_id.size() <= mta::kSpawnMaxField);
        require(command.sender.size() <= mta::kSpawnMaxField);
        require(command.recipient.size() <= mta::kSpawnMaxField);
        if (command.group) {
            check_group_command(command);
            continue;
        }
        require(command.recipients.empty() && command.dropped == 0);
        auto refusal = mta::check_command(command, mta::kSpawnSlots, false);
        if (!refusal) {
            require(!command.message_id.empty());
            require(command.message_id.find_first_not_of("0123456789/") == std::string::npos);
            require(command.recipient.find('@') != std::string::npos);
        }
    }
    return 0;
}
