// spawn_slot - the slots of a spawner (lib/spawn_driver.hpp runs the loop around them):
// per slot one delivery in progress, its child, the output it writes, its exit status and
// the results they become.
//
//     mta::SpawnSlots slots(120);
//     slots[3].occupy(std::move(child), std::move(pipe_read_end), {}, 3000);
//     slots.add_poll_fds(fds);                            // after the driver's own fds
//     int n = ::poll(fds.data(), fds.size(), slots.poll_timeout(grace));
//     if (n > 0) slots.handle_poll(fds, 1);               // output read, children reaped
//     slots[3].reap_unwatched();                          // every turn, every slot
//     if (auto results = slots[3].finish(hook, grace))   // the delivery is done
//         reply(3, *results);                             // and the slot is free again
//
// Accounting: the output kept is the report limit, times the number of recipients that
// ran for a group; longer output is cut by cut_report and the rest drained unkept. The
// child's exit is seen through a pidfd, or without one (an old kernel, no descriptors
// left) by reap_unwatched() every kReapPollMs. A slot is done when the child has exited
// and its output has reached end of file, or stayed open output_grace after the exit (a
// background grandchild must not hold the slot forever). Nothing here fails: a read error
// on the pipe counts as end of file, a child reaped by someone else as a signal 0 exit.
#pragma once

#include "fd.hpp"
#include "process.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <poll.h>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace mta {

class SpawnHook;

// A group's results in order: each refusal in place, the delivery's results (or "" when
// it gave too few) in the other places.
std::vector<std::string> merge_group_results(
    std::vector<std::optional<std::string>> const& refusals, std::vector<std::string> delivered);

class SpawnSlot {
public:
    using Clock = std::chrono::steady_clock;
    // How often a child without a pidfd is polled.
    static constexpr int kReapPollMs = 100;

    bool used() const { return m_used; }

    // The slot holds child now and reads its output from the read end of its pipe
    // (non-blocking). group_refusals is empty for a single delivery; for a group it holds,
    // per recipient, its refusal or nullopt for one the delivery reports on.
    void occupy(Child child, Fd output, std::vector<std::optional<std::string>> group_refusals,
        size_t report_limit);

    // Reaps a child that no pidfd watches, if it has exited.
    void reap_unwatched();
    // When the delivery is done: its results (one, or one per recipient of a group, from
    // hook's report() or report_group()), and the slot is free. Else nullopt.
    std::optional<std::vector<std::string>> finish(
        SpawnHook& hook, std::chrono::milliseconds output_grace);

private:
    friend class SpawnSlots; // polls the descriptors below
    int output_fd() const { return m_output.get(); } // -1 when not open
    int pidfd() const { return m_pidfd.get(); }
    void read_output();
    void reap();
    // How long poll may wait for this slot: -1 for as long as it likes.
    int wait_ms(std::chrono::milliseconds output_grace, Clock::time_point now) const;

    bool m_used = false;
    pid_t m_pid = -1; // -1 once reaped
    Fd m_pidfd; // readable when the child has exited; invalid without pidfd
    Fd m_output; // read end, non-blocking; closed at end of file
    std::string m_text;
    size_t m_limit = 0;
    bool m_cut = false;
    ExitStatus m_status;
    Clock::time_point m_exited_at;
    bool m_group = false;
    std::vector<std::optional<std::string>> m_results; // a group's refusals
    size_t m_ran = 0; // recipients of a group that the delivery reports on
};

// Every slot of a spawner, and the poll set over their descriptors.
class SpawnSlots {
public:
    explicit SpawnSlots(unsigned count)
        : m_slots(count)
    {
    }

    size_t size() const { return m_slots.size(); }
    SpawnSlot& operator[](size_t index) { return m_slots[index]; }
    bool busy() const; // a slot is used
    // The shortest wait a slot asks for, or -1 (wait for an event).
    int poll_timeout(std::chrono::milliseconds output_grace) const;
    // Appends POLLIN for every open output pipe and pidfd to fds.
    void add_poll_fds(std::vector<pollfd>& fds);
    // After poll: reads the output or reaps the child of every entry the last
    // add_poll_fds appended (from fds[first]) that has events.
    void handle_poll(std::vector<pollfd> const& fds, size_t first);

private:
    std::vector<SpawnSlot> m_slots;
    std::vector<std::pair<unsigned, bool>> m_owners; // per poll entry: slot, true = pidfd
};

} // namespace mta
