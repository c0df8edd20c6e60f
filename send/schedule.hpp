// schedule - when to try a message again, and the per-channel queue of next attempts.
//
//     time_t next = send::next_retry(birth, now, send::Channel::local);
//     send::RetryQueue queue;
//     queue.push(next, id);
//     while (!queue.empty() && queue.top().when <= now)
//         start_pass(queue.pop().id);
//
// The schedule is qmail-send's: with birth the mtime of info/N and age = now - birth,
// n = floor(sqrt(age)) + chanskip (10 local, 20 remote) and the next attempt is at
// birth + n*n. So local attempts come at about 0, 100, 400, 900, 1600 s after birth,
// remote ones at 0, 400, 1600, 3600, 6400 s. RetryQueue is a binary heap: push and pop
// cost O(log n), so a queue of 100,000 messages costs no more per delivery than a short
// one. Pure code: nothing here fails or touches the disk.
#pragma once

#include "queue_files.hpp"

#include <ctime>
#include <vector>

namespace send {

// Seconds added to the square root of the age: 10 local, 20 remote.
time_t chanskip(Channel c);
// The next attempt after one made now.
time_t next_retry(time_t birth, time_t now, Channel c);
// A message older than its lifetime gets one last attempt: deferrals become failures.
bool is_dying(time_t birth, time_t now, time_t lifetime);

class RetryQueue {
public:
    struct Entry {
        time_t when;
        unsigned long id;
    };

    void push(time_t when, unsigned long id);
    bool empty() const { return m_heap.empty(); }
    size_t size() const { return m_heap.size(); }
    // The earliest entry (ties: the smallest id). Not on an empty queue.
    Entry const& top() const { return m_heap.front(); }
    Entry pop();
    // Every entry becomes due at when (SIGALRM: "try everything now").
    void reschedule_all(time_t when);
    // In heap order, for saving the schedule at exit.
    std::vector<Entry> const& entries() const { return m_heap; }

private:
    std::vector<Entry> m_heap;
};

} // namespace send
