#include "spawn_slot.hpp"

#include "spawn_driver.hpp"

#include <algorithm>
#include <cerrno>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mta {

namespace {

constexpr size_t kReadChunk = 4096;

} // namespace

std::vector<std::string> merge_group_results(
    std::vector<std::optional<std::string>> const& refusals, std::vector<std::string> delivered)
{
    std::vector<std::string> out;
    size_t next = 0;
    for (auto const& r : refusals) {
        if (r)
            out.push_back(*r);
        else
            out.push_back(next < delivered.size() ? std::move(delivered[next++]) : std::string());
    }
    return out;
}

void SpawnSlot::occupy(Child child, Fd output,
    std::vector<std::optional<std::string>> group_refusals, size_t report_limit)
{
    *this = SpawnSlot();
    m_used = true;
    m_pid = child.release();
    // glibc 2.36 declares pidfd_open without C linkage: call the system call itself.
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, m_pid, 0));
    if (pidfd >= 0)
        m_pidfd = Fd(pidfd);
    m_output = std::move(output);
    m_ran = static_cast<size_t>(
        std::count(group_refusals.begin(), group_refusals.end(), std::nullopt));
    m_limit = report_limit * std::max<size_t>(m_ran, 1);
    m_group = !group_refusals.empty();
    m_results = std::move(group_refusals);
}

void SpawnSlot::read_output()
{
    char buf[kReadChunk];
    ssize_t n = ::read(m_output.get(), buf, sizeof buf);
    if (n == -1 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) { // end of file (a read error on a pipe counts as one)
        m_output = Fd();
        return;
    }
    if (m_cut)
        return; // drained, not kept
    size_t const keep = m_limit + 1; // one more than the limit: "too long"
    m_text.append(buf, std::min(static_cast<size_t>(n), keep - m_text.size()));
    if (m_text.size() >= keep) {
        m_text = cut_report(std::move(m_text), m_limit);
        m_cut = true;
    }
}

void SpawnSlot::reap()
{
    int wstat = 0;
    pid_t got = ::waitpid(m_pid, &wstat, WNOHANG);
    if (got == 0 || (got == -1 && errno == EINTR))
        return;
    if (got == m_pid)
        m_status = WIFSIGNALED(wstat) ? ExitStatus { true, WTERMSIG(wstat) }
                                      : ExitStatus { false, WEXITSTATUS(wstat) };
    else
        m_status = ExitStatus { true, 0 }; // reaped by someone else: status unknown
    m_pid = -1;
    m_pidfd = Fd();
    m_exited_at = Clock::now();
}

void SpawnSlot::reap_unwatched()
{
    if (m_used && m_pid > 0 && !m_pidfd.valid())
        reap();
}

// -1 (wait for an event) unless the child has no pidfd or its output is open after its exit.
int SpawnSlot::wait_ms(std::chrono::milliseconds output_grace, Clock::time_point now) const
{
    if (!m_used)
        return -1;
    if (m_pid > 0 && !m_pidfd.valid())
        return kReapPollMs;
    if (m_pid <= 0 && m_output.valid()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            m_exited_at + output_grace - now);
        return static_cast<int>(std::clamp<long long>(left.count() + 1, 0, 86400000));
    }
    return -1;
}

std::optional<std::vector<std::string>> SpawnSlot::finish(
    SpawnHook& hook, std::chrono::milliseconds output_grace)
{
    if (!m_used || m_pid > 0)
        return std::nullopt;
    if (m_output.valid()) {
        if (Clock::now() < m_exited_at + output_grace)
            return std::nullopt;
        m_output = Fd(); // a background process still holds it: report what we have
    }
    std::vector<std::string> results;
    if (m_group)
        results = merge_group_results(m_results, hook.report_group(m_status, m_text, m_ran));
    else
        results.push_back(hook.report(m_status, m_text));
    *this = SpawnSlot();
    return results;
}

bool SpawnSlots::busy() const
{
    return std::any_of(m_slots.begin(), m_slots.end(), [](SpawnSlot const& s) { return s.used(); });
}

int SpawnSlots::poll_timeout(std::chrono::milliseconds output_grace) const
{
    int timeout = -1;
    auto now = SpawnSlot::Clock::now();
    for (auto const& s : m_slots) {
        int ms = s.wait_ms(output_grace, now);
        if (ms >= 0 && (timeout < 0 || ms < timeout))
            timeout = ms;
    }
    return timeout;
}

void SpawnSlots::add_poll_fds(std::vector<pollfd>& fds)
{
    m_owners.clear();
    for (unsigned i = 0; i < m_slots.size(); ++i) {
        if (m_slots[i].output_fd() >= 0) {
            fds.push_back({ m_slots[i].output_fd(), POLLIN, 0 });
            m_owners.emplace_back(i, false);
        }
        if (m_slots[i].pidfd() >= 0) {
            fds.push_back({ m_slots[i].pidfd(), POLLIN, 0 });
            m_owners.emplace_back(i, true);
        }
    }
}

void SpawnSlots::handle_poll(std::vector<pollfd> const& fds, size_t first)
{
    for (size_t k = first; k < fds.size(); ++k) {
        if (fds[k].revents == 0)
            continue;
        SpawnSlot& slot = m_slots[m_owners[k - first].first];
        if (m_owners[k - first].second)
            slot.reap();
        else
            slot.read_output();
    }
}

} // namespace mta
