// spawn_fuzz - libFuzzer target for the spawner's command parser (lib/spawn_protocol.hpp):
// the bytes send writes on a spawner's fd 0.
//
//     make fuzz && cp -r fuzz/corpus/spawn /tmp/corpus &&
//         build-fuzz/spawn_fuzz -max_total_time=60 /tmp/corpus
//
// Checked promises: feeding the input whole or in arbitrary pieces gives the same
// commands; no field exceeds kSpawnMaxField; check_command never crashes and accepts only
// commands with a digits-and-slash id and a recipient holding '@'.
#include "spawn_protocol.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace {

void require(bool condition)
{
    if (!condition)
        __builtin_trap();
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
        auto refusal = mta::check_command(command, mta::kSpawnSlots, false);
        if (!refusal) {
            require(!command.message_id.empty());
            require(command.message_id.find_first_not_of("0123456789/") == std::string::npos);
            require(command.recipient.find('@') != std::string::npos);
        }
    }
    return 0;
}
