#include "schedule.hpp"

#include "retry.hpp"

#include <algorithm>
#include <cmath>

namespace send {

namespace {

// Orders the heap so that front() is the earliest entry.
bool later(RetryQueue::Entry const& a, RetryQueue::Entry const& b)
{
    return a.when != b.when ? a.when > b.when : a.id > b.id;
}

} // namespace

time_t chanskip(Channel c)
{
    return c == Channel::local ? 10 : 20;
}

time_t next_retry(time_t birth, time_t now, Channel c)
{
    return mta::next_retry(birth, now, chanskip(c));
}

bool is_dying(time_t birth, time_t now, time_t lifetime)
{
    return now > birth + lifetime;
}

void RetryQueue::push(time_t when, unsigned long id)
{
    m_heap.push_back({ when, id });
    std::push_heap(m_heap.begin(), m_heap.end(), later);
}

RetryQueue::Entry RetryQueue::pop()
{
    std::pop_heap(m_heap.begin(), m_heap.end(), later);
    Entry e = m_heap.back();
    m_heap.pop_back();
    return e;
}

void RetryQueue::reschedule_all(time_t when)
{
    for (auto& e : m_heap)
        e.when = when;
    std::make_heap(m_heap.begin(), m_heap.end(), later);
}

} // namespace send
