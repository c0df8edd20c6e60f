// groups - the remote channel's recipient groups: the recipients of one message at one
// domain share one delivery, so one SMTP transaction with one RCPT each (issue 6). A pass
// through remote/N adds each T record here and starts the groups take() hands out.
//
//     send::RecipientGroups groups;                    // one per pass, one message
//     groups.add(offset, "a@x.example", false);        // the record's offset and address
//     groups.add(offset2, "b@X.EXAMPLE", false);       // same group: domains compare
//     while (auto g = groups.take(at_eof))             //   case-insensitively
//         start_delivery(*g);                          // 1..kSpawnMaxGroup entries
//
// Rules: the key of a recipient is its domain (after the last '@') in lower case; a
// recipient without '@', and every recipient of a VERP sender (each gets its own
// envelope sender), is a group of its own (alone). A group that reaches max_group
// recipients is closed; the next recipient of its domain opens a new one. take() gives a
// closed group first (oldest first), else the oldest open group when the pass has read
// the whole file (at_end) or when max_pending recipients wait (memory stays bounded on a
// huge remote/N); otherwise nothing, the pass reads on. Pure: no I/O.
#pragma once

#include "spawn_protocol.hpp"

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace send {

// One T record of a channel file.
struct Recipient {
    off_t offset = 0; // of the record's T, to mark it D
    std::string address;

    bool operator==(Recipient const&) const = default;
};

class RecipientGroups {
public:
    explicit RecipientGroups(
        size_t max_group = mta::kSpawnMaxGroup, size_t max_pending = 10 * mta::kSpawnMaxGroup)
        : m_max_group(max_group)
        , m_max_pending(max_pending)
    {
    }

    void add(off_t offset, std::string address, bool alone);
    std::optional<std::vector<Recipient>> take(bool at_end);
    bool empty() const { return m_groups.empty(); }
    void clear();

private:
    struct Group {
        std::string key;
        bool closed = false;
        std::vector<Recipient> members;
    };

    size_t m_max_group;
    size_t m_max_pending;
    size_t m_pending = 0;
    std::deque<Group> m_groups; // in the order of their first recipient
};

} // namespace send
