#include "spawn_protocol.hpp"

#include <algorithm>

namespace mta {

namespace {

constexpr std::string_view kTooLong = "\nError report too long, sorry.\n";

bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

// Appends c to field; false once the field is over its limit (the byte is dropped).
bool append_bounded(std::string& field, char c, size_t limit)
{
    if (field.size() >= limit)
        return false;
    field += c;
    return true;
}

} // namespace

void SpawnCommandParser::feed(std::string_view bytes, std::vector<SpawnCommand>& done)
{
    for (char c : bytes) {
        if (m_stage == 0) {
            m_current = SpawnCommand();
            m_current.slot = static_cast<unsigned char>(c);
            m_stage = 1;
            continue;
        }
        if (c == '\0') {
            if (++m_stage == 4) {
                done.push_back(std::move(m_current));
                m_current = SpawnCommand();
                m_stage = 0;
            }
            continue;
        }
        std::string& field = m_stage == 1 ? m_current.message_id
            : m_stage == 2                ? m_current.sender
                                          : m_current.recipient;
        // One byte over kSpawnMaxMessageId is kept so that the check can see "too long".
        size_t limit = m_stage == 1 ? kSpawnMaxMessageId + 1 : kSpawnMaxField;
        if (!append_bounded(field, c, limit))
            m_current.too_long = m_current.too_long || m_stage != 1;
    }
}

std::optional<std::string> check_command(SpawnCommand const& command, unsigned slots, bool in_use)
{
    if (command.slot >= slots)
        return "ZInternal error: delnum too big. (#4.3.5)\n";
    if (in_use)
        return "ZInternal error: delnum in use. (#4.3.5)\n";
    auto const& id = command.message_id;
    for (size_t i = 0; i < id.size(); ++i) {
        if (!is_digit(id[i]) && (i == 0 || id[i] != '/'))
            return "DInternal error: messid has nonnumerics. (#5.3.5)\n";
    }
    if (id.size() > kSpawnMaxMessageId)
        return "DInternal error: messid too long. (#5.3.5)\n";
    if (id.empty())
        return "DInternal error: messid too short. (#5.3.5)\n";
    if (command.too_long)
        return "DInternal error: address too long. (#5.1.3)\n";
    if (command.recipient.find('@') == std::string::npos)
        return "DSorry, address must include host name. (#5.1.3)\n";
    return std::nullopt;
}

std::string cut_report(std::string output, size_t limit)
{
    limit = std::max(limit, kTooLong.size() + 3 + 1);
    if (output.size() <= limit)
        return output;
    output.resize(limit - kTooLong.size() - 3);
    output += kTooLong;
    return output;
}

std::string encode_command(
    unsigned slot, std::string_view message_id, std::string_view sender, std::string_view recipient)
{
    std::string out(1, static_cast<char>(slot));
    out += message_id;
    out += '\0';
    out += sender;
    out += '\0';
    out += recipient;
    out += '\0';
    return out;
}

} // namespace mta
