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
// The group command (ours; qmail has none) is: the slot byte, '+' and the message id NUL,
// the sender NUL, 1..kSpawnMaxGroup recipients each NUL-terminated, and an empty field
// (a lone NUL) ending the list. It gets one result per recipient, in the command's order.
// A qmail message id never starts with '+', so the two forms cannot be confused.
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
// Most recipients one group command may carry (send's remote channel groups up to this).
inline constexpr size_t kSpawnMaxGroup = 100;

// One recipient of a group command.
struct SpawnRecipient {
    std::string address;
    bool too_long = false; // passed kSpawnMaxField; its rest was dropped

    bool operator==(SpawnRecipient const&) const = default;
};

// One command as read from send.
struct SpawnCommand {
    unsigned slot = 0;
    std::string message_id; // without the group form's '+'
    std::string sender;
    std::string recipient; // the single form's
    bool too_long = false; // the sender, or the single form's recipient, passed kSpawnMaxField

    bool group = false; // the group form; then its recipients are here:
    std::vector<SpawnRecipient> recipients; // at most kSpawnMaxGroup
    size_t dropped = 0; // recipients past kSpawnMaxGroup: counted, not kept

    // Results the command gets: 1, or one per recipient of a group (dropped ones too).
    size_t result_count() const { return group ? recipients.size() + dropped : 1; }

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
    void end_field();

    int m_stage = 0; // 0 slot, 1 message id, 2 sender, 3 recipient(s)
    SpawnCommand m_current;
    std::string m_field; // the group recipient being read
    bool m_field_long = false;
};

// The bytes send writes for one command: slot byte, id NUL, sender NUL, recipient NUL.
std::string encode_command(unsigned slot, std::string_view message_id, std::string_view sender,
    std::string_view recipient);
// The group form: slot byte, '+' id NUL, sender NUL, each recipient NUL, NUL. recipients:
// 1..kSpawnMaxGroup addresses, none empty (an empty one would end the list early).
std::string encode_group(unsigned slot, std::string_view message_id, std::string_view sender,
    std::vector<std::string> const& recipients);

// The checks that need no file: the result record text (letter and text) refusing the
// command, or nullopt when it may run. in_use: the slot (when in range) is busy.
std::optional<std::string> check_command(SpawnCommand const& command, unsigned slots, bool in_use);

// The same checks for a group command, in the same order: a refusal of the whole command
// (slot, message id, sender, more than kSpawnMaxGroup recipients), which every recipient
// gets, or per kept recipient a refusal (too long, no '@') or nullopt when it may run.
struct GroupCheck {
    std::optional<std::string> all;
    std::vector<std::optional<std::string>> each; // empty when all is set
};
GroupCheck check_group(SpawnCommand const& command, unsigned slots, bool in_use);

// The output of a delivery as the report shows it: unchanged up to limit bytes, else the
// first limit - 34 bytes and "\nError report too long, sorry.\n" (spawn.c's cut).
std::string cut_report(std::string output, size_t limit);

} // namespace mta
