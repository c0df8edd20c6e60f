// spawn_protocol - the bytes of the send <-> spawner protocol (qmail's spawn.c): commands,
// the checks a spawner applies before running one, and the cut of long reports. Pure: no
// I/O; lib/spawn_driver.hpp runs the loop around it.
//
//     mta::SpawnCommandParser parser;
//     std::vector<mta::SpawnCommand> commands;
//     parser.feed(bytes_from_send, commands);              // any split of the stream
//     for (auto const& c : commands)
//         if (auto refused = mta::check_command(c, 120, busy(c.slot)))
//             reply(c.slot, *refused);                       // "D..." or "Z..."
//
// A command is: the slot byte, the message id ("12/1234") NUL, the envelope sender NUL,
// the recipient NUL. A result is: the slot byte, K/Z/D, a text without NUL, NUL.
// Nothing here fails: every problem with a command is a result text.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mta {

// qmail's conf-spawn: the number of slots a spawner offers (at most 255, one byte).
inline constexpr unsigned kSpawnSlots = 120;
// A message id is at most this many bytes (spawn.c counts its NUL into 100).
inline constexpr size_t kSpawnMaxMessageId = 99;
// Longest sender or recipient a command may carry: far above any queued address (1002
// bytes) plus a virtualdomains prefix, so only garbage reaches it.
inline constexpr size_t kSpawnMaxField = 16384;
// lspawn's report limit (qmail-lspawn's truncreport).
inline constexpr size_t kSpawnReportLimit = 3000;

// One command as read from send.
struct SpawnCommand {
    unsigned slot = 0;
    std::string message_id;
    std::string sender;
    std::string recipient;
    bool too_long = false; // a field passed kSpawnMaxField; its rest was dropped

    bool operator==(SpawnCommand const&) const = default;
};

// Cuts send's byte stream into commands. Pure; a command may arrive in any number of
// pieces, and one piece may hold many commands.
class SpawnCommandParser {
public:
    // Appends every command completed by bytes to done.
    void feed(std::string_view bytes, std::vector<SpawnCommand>& done);
    // True when bytes of an unfinished command are pending.
    bool mid_command() const { return m_stage != 0; }

private:
    int m_stage = 0; // 0 slot, 1 message id, 2 sender, 3 recipient
    SpawnCommand m_current;
};

// The checks that need no file: the result record text (letter and text) refusing the
// command, or nullopt when it may run. in_use: the slot (when in range) is busy.
// The bytes send writes for one command: slot byte, id NUL, sender NUL, recipient NUL.
std::string encode_command(unsigned slot, std::string_view message_id, std::string_view sender,
    std::string_view recipient);

std::optional<std::string> check_command(SpawnCommand const& command, unsigned slots, bool in_use);

// The output of a delivery as the report shows it: unchanged up to limit bytes, else the
// first limit - 34 bytes and "\nError report too long, sorry.\n" (spawn.c's cut).
std::string cut_report(std::string output, size_t limit);

} // namespace mta
