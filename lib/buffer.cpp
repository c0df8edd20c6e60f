#include "buffer.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <poll.h>
#include <unistd.h>

namespace mta {

namespace {

// With a timeout, one write(2) moves at most this much: poll() reporting POLLOUT on a pipe
// or socket promises room for PIPE_BUF bytes, so the write cannot block.
constexpr size_t kWriteChunk = PIPE_BUF;

bool is_would_block(int errnum)
{
    return errnum == EAGAIN || errnum == EWOULDBLOCK;
}

// Waits until fd is ready for events, at most timeout_ms (0: no limit). EINTR restarts the
// wait with the time that is left.
Status wait_ready(int fd, short events, int timeout_ms, const char* timeout_text)
{
    using Clock = std::chrono::steady_clock;
    auto const deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        int wait_ms = -1;
        if (timeout_ms > 0) {
            auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
            wait_ms = static_cast<int>(std::max<long long>(left.count(), 0));
        }
        pollfd p { fd, events, 0 };
        int n = ::poll(&p, 1, wait_ms);
        if (n > 0)
            return {};
        if (n == 0)
            return Error { ETIMEDOUT, timeout_text };
        if (errno != EINTR)
            return Error::from_errno("unable to poll");
    }
}

} // namespace

Reader::Reader(int fd, int timeout_ms, ReadFn read_fn)
    : m_fd(fd)
    , m_timeout_ms(timeout_ms)
    , m_read_fn(std::move(read_fn))
{
}

Result<size_t> Reader::raw_read(char* out, size_t n)
{
    bool must_poll = m_timeout_ms > 0;
    for (;;) {
        if (must_poll) {
            if (auto st = wait_ready(m_fd, POLLIN, m_timeout_ms, "timed out reading"); !st)
                return st.error();
        }
        ssize_t got = m_read_fn ? m_read_fn(m_fd, out, n) : ::read(m_fd, out, n);
        if (got >= 0)
            return static_cast<size_t>(got);
        if (errno == EINTR)
            continue;
        if (!is_would_block(errno))
            return Error::from_errno("unable to read");
        must_poll = true;
    }
}

// Reads more input into the free end of the buffer; 0 means end of input.
Status Reader::fill()
{
    if (m_start == m_end)
        m_start = m_end = 0;
    auto got = raw_read(m_buffer.data() + m_end, m_buffer.size() - m_end);
    if (!got)
        return got.error();
    m_end += *got;
    return {};
}

Result<size_t> Reader::read(char* out, size_t n)
{
    if (n == 0)
        return size_t { 0 };
    if (!has_buffered()) {
        if (n >= m_buffer.size())
            return raw_read(out, n);
        if (auto st = fill(); !st)
            return st.error();
        if (!has_buffered())
            return size_t { 0 };
    }
    size_t take = std::min(n, m_end - m_start);
    std::memcpy(out, m_buffer.data() + m_start, take);
    m_start += take;
    return take;
}

Result<LineStatus> Reader::get_line(std::string& out, size_t max, char delimiter)
{
    out.clear();
    for (;;) {
        if (!has_buffered()) {
            if (auto st = fill(); !st)
                return st.error();
            if (!has_buffered())
                return out.empty() ? LineStatus::eof : LineStatus::partial;
        }
        char const* begin = m_buffer.data() + m_start;
        size_t avail = m_end - m_start;
        auto const* hit = static_cast<char const*>(std::memchr(begin, delimiter, avail));
        size_t len = hit ? static_cast<size_t>(hit - begin) : avail;
        size_t room = max - out.size();
        if (len > room) {
            // The byte after the first max ones is buffered and is not the delimiter.
            out.append(begin, room);
            m_start += room;
            return LineStatus::too_long;
        }
        out.append(begin, len);
        m_start += len;
        if (hit) {
            ++m_start;
            return LineStatus::line;
        }
    }
}

Status Reader::skip_line(char delimiter)
{
    for (;;) {
        if (!has_buffered()) {
            if (auto st = fill(); !st)
                return st;
            if (!has_buffered())
                return {};
        }
        char const* begin = m_buffer.data() + m_start;
        auto const* hit = static_cast<char const*>(std::memchr(begin, delimiter, m_end - m_start));
        if (hit) {
            m_start += static_cast<size_t>(hit - begin) + 1;
            return {};
        }
        m_start = m_end;
    }
}

Writer::Writer(int fd, int timeout_ms, WriteFn write_fn)
    : m_fd(fd)
    , m_timeout_ms(timeout_ms)
    , m_write_fn(std::move(write_fn))
{
}

Status Writer::write_out(std::string_view data)
{
    bool must_poll = m_timeout_ms > 0;
    while (!data.empty()) {
        if (must_poll) {
            if (auto st = wait_ready(m_fd, POLLOUT, m_timeout_ms, "timed out writing"); !st)
                return st;
        }
        size_t len = m_timeout_ms > 0 ? std::min(data.size(), kWriteChunk) : data.size();
        ssize_t n
            = m_write_fn ? m_write_fn(m_fd, data.data(), len) : ::write(m_fd, data.data(), len);
        if (n > 0) {
            data.remove_prefix(static_cast<size_t>(n));
            must_poll = m_timeout_ms > 0;
            continue;
        }
        if (n == 0)
            return Error { EIO, "unable to write" };
        if (errno == EINTR)
            continue;
        if (!is_would_block(errno))
            return Error::from_errno("unable to write");
        must_poll = true;
    }
    return {};
}

Status Writer::put(std::string_view data)
{
    if (data.size() <= m_buffer.size() - m_used) {
        std::memcpy(m_buffer.data() + m_used, data.data(), data.size());
        m_used += data.size();
        return {};
    }
    if (auto st = flush(); !st)
        return st;
    if (data.size() >= m_buffer.size())
        return write_out(data);
    std::memcpy(m_buffer.data(), data.data(), data.size());
    m_used = data.size();
    return {};
}

Status Writer::flush()
{
    size_t used = m_used;
    m_used = 0;
    return write_out(std::string_view(m_buffer.data(), used));
}

Status copy(Reader& in, Writer& out)
{
    std::array<char, kBufferSize> chunk;
    for (;;) {
        auto got = in.read(chunk.data(), chunk.size());
        if (!got)
            return got.error();
        if (*got == 0)
            return {};
        if (auto st = out.put(std::string_view(chunk.data(), *got)); !st)
            return st;
    }
}

} // namespace mta
