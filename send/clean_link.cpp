#include "clean_link.hpp"

#include "fd.hpp"
#include "queue_files.hpp"

#include <algorithm>
#include <cerrno>
#include <unistd.h>

namespace send {

std::string CleanLink::text(Request const& r)
{
    return (r.kind == Request::Kind::todo ? "todo/" : "foop/") + number(r.message.id);
}

std::unordered_multiset<unsigned long>& CleanLink::ids_of(Request::Kind kind)
{
    return kind == Request::Kind::todo ? m_todo_ids : m_foop_ids;
}

CleanLink::CleanLink(int request_fd, int reply_fd, size_t max_outstanding)
    : m_request_fd(request_fd)
    , m_reply_fd(reply_fd)
    , m_max_outstanding(max_outstanding)
{
    (void)mta::set_nonblocking(request_fd, true);
    (void)mta::set_nonblocking(reply_fd, true);
}

void CleanLink::queue_request(Request const& r)
{
    if (m_lost || m_closed)
        return;
    m_out += text(r);
    m_out += '\0';
    m_waiting.push_back(r);
    ids_of(r.kind).insert(r.message.id);
    write_some();
}

void CleanLink::write_some()
{
    size_t done = 0;
    while (done < m_out.size()) {
        ssize_t n = ::write(m_request_fd, m_out.data() + done, m_out.size() - done);
        if (n > 0) {
            done += static_cast<size_t>(n);
            continue;
        }
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break; // the rest when poll says the pipe has room
        set_lost(); // EPIPE: clean is gone
        return;
    }
    m_out.erase(0, done);
}

// Reads at most one reply per waiting request: a byte more would belong to none.
void CleanLink::read_replies(std::vector<Answer>& answers)
{
    char buf[512];
    while (!m_lost && !m_waiting.empty()) {
        ssize_t n = ::read(m_reply_fd, buf, std::min(sizeof buf, m_waiting.size()));
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            set_lost(); // end of file or a read error
            return;
        }
        for (ssize_t i = 0; i < n; ++i) {
            Request const r = m_waiting.front();
            m_waiting.pop_front();
            auto& ids = ids_of(r.kind);
            ids.erase(ids.find(r.message.id));
            answers.push_back({ r, buf[i] });
        }
    }
}

void CleanLink::set_lost()
{
    m_lost = true;
    m_out.clear();
    m_abandoned.insert(m_abandoned.end(), m_waiting.begin(), m_waiting.end());
    m_waiting.clear();
    m_todo_ids.clear();
    m_foop_ids.clear();
}

std::vector<CleanLink::Request> CleanLink::abandon()
{
    std::vector<Request> all = std::move(m_abandoned);
    m_abandoned.clear();
    all.insert(all.end(), m_waiting.begin(), m_waiting.end());
    m_waiting.clear();
    m_todo_ids.clear();
    m_foop_ids.clear();
    m_out.clear();
    m_closed = true;
    return all;
}

void CleanLink::add_poll(std::vector<pollfd>& fds)
{
    m_poll_write = m_poll_read = -1;
    if (m_lost || m_closed)
        return;
    if (!m_out.empty()) {
        m_poll_write = static_cast<int>(fds.size());
        fds.push_back({ m_request_fd, POLLOUT, 0 });
    }
    if (!m_waiting.empty()) {
        m_poll_read = static_cast<int>(fds.size());
        fds.push_back({ m_reply_fd, POLLIN, 0 });
    }
}

std::vector<CleanLink::Answer> CleanLink::after_poll(std::vector<pollfd> const& fds)
{
    std::vector<Answer> answers;
    if (m_poll_write >= 0 && fds[static_cast<size_t>(m_poll_write)].revents != 0 && !m_lost)
        write_some();
    if (m_poll_read >= 0 && fds[static_cast<size_t>(m_poll_read)].revents != 0 && !m_lost)
        read_replies(answers);
    m_poll_write = m_poll_read = -1;
    return answers;
}

std::vector<CleanLink::Answer> CleanLink::drain(time_t deadline)
{
    std::vector<Answer> answers;
    for (;;) {
        time_t const now = ::time(nullptr);
        if (m_lost || m_waiting.empty() || now >= deadline)
            return answers;
        std::vector<pollfd> fds;
        add_poll(fds);
        int const ms = static_cast<int>(std::min<time_t>(deadline - now, 60) * 1000);
        if (::poll(fds.data(), fds.size(), ms) == -1 && errno != EINTR)
            return answers;
        for (auto& a : after_poll(fds))
            answers.push_back(a);
    }
}

} // namespace send
