#include "groups.hpp"

#include "domain.hpp"

#include <algorithm>

namespace send {

void RecipientGroups::add(off_t offset, std::string address, bool alone)
{
    size_t const at = address.rfind('@');
    alone = alone || at == std::string::npos;
    std::string key = alone ? std::string() : mta::lowercase_domain(address.substr(at + 1));
    auto open = std::find_if(m_groups.begin(), m_groups.end(),
        [&](Group const& g) { return !alone && !g.closed && g.key == key; });
    if (open == m_groups.end()) {
        m_groups.push_back(Group { std::move(key), false, {} });
        open = std::prev(m_groups.end());
    }
    open->members.push_back(Recipient { offset, std::move(address) });
    ++m_pending;
    if (alone || open->members.size() >= m_max_group)
        open->closed = true;
}

std::optional<std::vector<Recipient>> RecipientGroups::take(bool at_end)
{
    if (m_groups.empty())
        return std::nullopt;
    auto ready
        = std::find_if(m_groups.begin(), m_groups.end(), [](Group const& g) { return g.closed; });
    if (ready == m_groups.end()) {
        if (!at_end && m_pending < m_max_pending)
            return std::nullopt;
        ready = m_groups.begin();
    }
    std::vector<Recipient> members = std::move(ready->members);
    m_groups.erase(ready);
    m_pending -= members.size();
    return members;
}

void RecipientGroups::clear()
{
    m_groups.clear();
    m_pending = 0;
}

} // namespace send
