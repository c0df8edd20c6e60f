#include "mbox.hpp"

#include "fd.hpp"
#include "safe_open.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace local {

namespace {

constexpr std::string_view kFrom = "From ";
constexpr size_t kChunk = size_t { 64 } * 1024;

volatile sig_atomic_t g_alarm_fired = 0;

void on_alarm(int)
{
    g_alarm_fired = 1;
}

enum class LockResult { locked, unlocked, timed_out };

// flock, then a whole-file fcntl write lock, both blocking until lock_seconds have passed
// (SIGALRM without SA_RESTART interrupts the wait). Locking that fails for another reason
// (no locks on this file system) goes on unlocked, as qmail-local does.
LockResult lock_mailbox(int fd, int lock_seconds)
{
    struct sigaction action { };
    struct sigaction old { };
    action.sa_handler = on_alarm;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    ::sigaction(SIGALRM, &action, &old);
    g_alarm_fired = 0;
    ::alarm(static_cast<unsigned>(lock_seconds));
    LockResult result = LockResult::locked;
    if (::flock(fd, LOCK_EX) == -1)
        result = g_alarm_fired ? LockResult::timed_out : LockResult::unlocked;
    if (result == LockResult::locked) {
        struct flock range { };
        range.l_type = F_WRLCK;
        range.l_whence = SEEK_SET;
        if (::fcntl(fd, F_SETLKW, &range) == -1 && g_alarm_fired)
            result = LockResult::timed_out;
    }
    ::alarm(0);
    ::sigaction(SIGALRM, &old, nullptr);
    return result;
}

// Writes the separator, the head lines and the quoted message. The Error names the side
// that failed: "unable to read" is the message, anything else the mailbox.
mta::Status append_message(
    int out_fd, std::string_view ufline, std::string_view head, int message_fd)
{
    std::string out;
    out.reserve(kChunk + kChunk / 8);
    out += ufline;
    out += head;
    FromQuoter quoter;
    char buf[kChunk];
    for (;;) {
        ssize_t n = ::read(message_fd, buf, sizeof buf);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            return mta::Error::from_errno("unable to read");
        if (n == 0)
            break;
        quoter.feed(std::string_view(buf, static_cast<size_t>(n)), out);
        if (out.size() >= kChunk) {
            if (auto st = mta::write_all(out_fd, out); !st)
                return st;
            out.clear();
        }
    }
    quoter.finish(out);
    out += '\n';
    if (auto st = mta::write_all(out_fd, out); !st)
        return st;
    return mta::fsync_fd(out_fd);
}

} // namespace

void FromQuoter::flush_prefix(std::string& out)
{
    out.append(m_greater, '>');
    out += kFrom.substr(0, m_from);
    if (m_greater + m_from > 0)
        m_ends_with_lf = false;
    m_greater = 0;
    m_from = 0;
    m_at_line_start = false;
}

void FromQuoter::feed(std::string_view in, std::string& out)
{
    if (!in.empty())
        m_any = true;
    while (!in.empty()) {
        if (m_at_line_start) {
            char const c = in.front();
            if (m_from == 0 && c == '>') {
                ++m_greater;
                in.remove_prefix(1);
                continue;
            }
            if (c == kFrom[m_from]) {
                in.remove_prefix(1);
                if (++m_from == kFrom.size()) {
                    out += '>';
                    flush_prefix(out);
                }
                continue;
            }
            flush_prefix(out); // no match: the held-back bytes go out as they were
        }
        size_t const lf = in.find('\n');
        size_t const take = lf == std::string_view::npos ? in.size() : lf + 1;
        out += in.substr(0, take);
        m_ends_with_lf = in[take - 1] == '\n';
        m_at_line_start = m_ends_with_lf;
        in.remove_prefix(take);
    }
}

void FromQuoter::finish(std::string& out)
{
    if (m_greater + m_from > 0)
        flush_prefix(out);
    if (m_any && !m_ends_with_lf)
        out += '\n';
    m_ends_with_lf = true;
    m_at_line_start = true;
}

Fail deliver_mbox(std::string const& path, std::string_view ufline, std::string_view head,
    int message_fd, int lock_seconds)
{
    if (::lseek(message_fd, 0, SEEK_SET) == -1)
        return temp_rewind(mta::Error::from_errno("unable to rewind"));
    mta::SafeOpenRules rules;
    rules.owner = ::geteuid();
    rules.check_directory = true;
    rules.create_mode = 0600;
    auto file = mta::safe_open_append(path, rules);
    if (!file)
        return temp_mbox_open(path, file.error());
    LockResult const lock = lock_mailbox(file->get(), lock_seconds);
    if (lock == LockResult::timed_out)
        return temp_slowlock();
    off_t const old_size = ::lseek(file->get(), 0, SEEK_END);
    if (old_size == -1)
        return temp_mbox_write(path, mta::Error::from_errno("unable to seek"));
    auto st = append_message(file->get(), ufline, head, message_fd);
    if (!st) {
        if (lock == LockResult::locked)
            (void)::ftruncate(file->get(), old_size);
        if (std::string_view(st.error().what) == "unable to read")
            return temp_read(st.error());
        return temp_mbox_write(path, st.error());
    }
    if (auto closed = file->close(); !closed)
        return temp_mbox_write(path, closed.error());
    return std::nullopt;
}

} // namespace local
