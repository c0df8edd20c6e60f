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
        if (m_stage == 1 && c == '+' && m_current.message_id.empty() && !m_current.group) {
            m_current.group = true; // only the id's first byte: "++1" is a bad id
            continue;
        }
        if (m_stage == 3 && m_current.group) {
            if (c != '\0') {
                m_field_long = !append_bounded(m_field, c, kSpawnMaxField) || m_field_long;
                continue;
            }
            if (!m_field.empty()) {
                end_field();
                continue;
            }
        } else if (c == '\0') {
            if (++m_stage < 4)
                continue;
        } else {
            std::string& field = m_stage == 1 ? m_current.message_id
                : m_stage == 2                ? m_current.sender
                                              : m_current.recipient;
            // One byte over kSpawnMaxMessageId is kept so that the check can see "too long".
            size_t limit = m_stage == 1 ? kSpawnMaxMessageId + 1 : kSpawnMaxField;
            if (!append_bounded(field, c, limit))
                m_current.too_long = m_current.too_long || m_stage != 1;
            continue;
        }
        // The command is complete: the single form's recipient, or a group's empty field.
        done.push_back(std::move(m_current));
        m_current = SpawnCommand();
        m_stage = 0;
    }
}

// A group recipient has ended: kept, or counted when the group is full.
void SpawnCommandParser::end_field()
{
    if (m_current.recipients.size() < kSpawnMaxGroup)
        m_current.recipients.push_back({ std::move(m_field), m_field_long });
    else
        ++m_current.dropped;
    m_field.clear();
    m_field_long = false;
}

namespace {

// The checks of the command as a whole, common to both forms.
std::optional<std::string> check_head(SpawnCommand const& command, unsigned slots, bool in_use)
{
    if (command.slot >= slots)
        return "ZInternal error: delnum too big. (#4.3.5)\n";
    if (in_use)
        return "ZInternal error: delnum in use. (#4.3.5)\n";
    if (command.dropped > 0)
        return "ZInternal error: too many recipients in group. (#4.3.5)\n";
    auto const& id = command.message_id;
    for (size_t i = 0; i < id.size(); ++i) {
        if (!is_digit(id[i]) && (i == 0 || id[i] != '/'))
            return "DInternal error: messid has nonnumerics. (#5.3.5)\n";
    }
    if (id.size() > kSpawnMaxMessageId)
        return "DInternal error: messid too long. (#5.3.5)\n";
    if (id.empty())
        return "DInternal error: messid too short. (#5.3.5)\n";
    return std::nullopt;
}

std::optional<std::string> check_address(std::string const& address, bool too_long)
{
    if (too_long)
        return "DInternal error: address too long. (#5.1.3)\n";
    if (address.find('@') == std::string::npos)
        return "DSorry, address must include host name. (#5.1.3)\n";
    return std::nullopt;
}

} // namespace

std::optional<std::string> check_command(SpawnCommand const& command, unsigned slots, bool in_use)
{
    if (auto refused = check_head(command, slots, in_use))
        return refused;
    return check_address(command.recipient, command.too_long);
}

GroupCheck check_group(SpawnCommand const& command, unsigned slots, bool in_use)
{
    GroupCheck check;
    check.all = check_head(command, slots, in_use);
    if (!check.all && command.too_long)
        check.all = "DInternal error: address too long. (#5.1.3)\n";
    if (check.all)
        return check;
    for (auto const& r : command.recipients)
        check.each.push_back(check_address(r.address, r.too_long));
    return check;
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

std::string encode_group(unsigned slot, std::string_view message_id, std::string_view sender,
    std::vector<std::string> const& recipients)
{
    std::string out(1, static_cast<char>(slot));
    out += '+';
    out += message_id;
    out += '\0';
    out += sender;
    out += '\0';
    for (auto const& r : recipients) {
        out += r;
        out += '\0';
    }
    out += '\0';
    return out;
}

} // namespace mta
