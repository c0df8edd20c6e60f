// buffer - buffered reads and writes on a descriptor with a timeout, as qmail's substdio
// with timeoutread/timeoutwrite and getln.
//
//     mta::Reader in(0, 1200 * 1000);             // fd 0, 20 minutes per read
//     mta::Writer out(1, 1200 * 1000);
//     std::string line;
//     auto got = in.get_line(line, 1000);
//     if (!got) return got.error();               // ETIMEDOUT "timed out reading", ...
//     if (*got == mta::LineStatus::too_long) {
//         if (auto st = in.skip_line(); !st) return st.error();
//         (void)out.put("500 line too long\r\n");
//     }
//     if (auto st = out.flush(); !st) return st.error();
//
// Errors are Result values: a timeout is Error{ETIMEDOUT, "timed out reading"} (or
// "writing"); other failures carry errno ("unable to read", "unable to write"; EPIPE too,
// so callers ignore SIGPIPE). End of input is not an error. Neither class owns its fd.
//
// The timeout applies to each system call (poll() first; 0 = wait forever). With a timeout,
// writes go out in pieces of at most PIPE_BUF bytes, so a write after poll() never blocks
// even on a blocking pipe or socket; EAGAIN (non-blocking fds) means poll again. The raw
// read/write functions can be replaced (TLS); they behave like read(2)/write(2). One that
// keeps decrypted bytes of its own must wait by itself: give its Reader timeout 0.
#pragma once

#include "error.hpp"

#include <array>
#include <functional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <utility>

namespace mta {

inline constexpr size_t kBufferSize = 8192;

using ReadFn = std::function<ssize_t(int fd, void* buf, size_t len)>;
using WriteFn = std::function<ssize_t(int fd, void const* buf, size_t len)>;

enum class LineStatus {
    line, // a whole line; the delimiter was consumed and is not stored
    eof, // end of input before any byte of a line; out is empty
    partial, // end of input inside a line; out holds the bytes without a delimiter
    too_long, // more than max bytes before the delimiter; out holds the first max bytes
              // and the rest of the line is still unread: call skip_line()
};

class Reader {
public:
    // read_fn defaults to read(2).
    explicit Reader(int fd, int timeout_ms = 0, ReadFn read_fn = {});
    Reader(Reader&&) = default;
    Reader& operator=(Reader&&) = default;
    Reader(Reader const&) = delete;
    Reader& operator=(Reader const&) = delete;

    // Up to n bytes (buffered ones first); 0 means end of input.
    Result<size_t> read(char* out, size_t n);
    // One line into out (cleared first). max counts the bytes stored, so everything before
    // the delimiter; with '\n' a CR before it is stored and counted. Never stores more
    // than max bytes, however long the line on the wire.
    Result<LineStatus> get_line(std::string& out, size_t max, char delimiter = '\n');
    // Discards input up to and including the next delimiter (or end of input), e.g. the
    // rest of a line that get_line() reported too_long.
    Status skip_line(char delimiter = '\n');

    // True when input was read from the descriptor but not yet consumed (SMTP pipelining
    // before STARTTLS must be refused: the bytes would bypass TLS).
    bool has_buffered() const { return m_start < m_end; }
    void discard_buffered() { m_start = m_end = 0; }

    int fd() const { return m_fd; }
    void set_timeout(int timeout_ms) { m_timeout_ms = timeout_ms; }
    // Switches the raw read function, e.g. after STARTTLS; empty means read(2).
    void set_read_fn(ReadFn read_fn) { m_read_fn = std::move(read_fn); }

private:
    Result<size_t> raw_read(char* out, size_t n);
    Status fill();

    int m_fd;
    int m_timeout_ms;
    ReadFn m_read_fn;
    size_t m_start = 0;
    size_t m_end = 0;
    std::array<char, kBufferSize> m_buffer;
};

class Writer {
public:
    // write_fn defaults to write(2). The destructor does not flush (it could not report).
    explicit Writer(int fd, int timeout_ms = 0, WriteFn write_fn = {});
    Writer(Writer&&) = default;
    Writer& operator=(Writer&&) = default;
    Writer(Writer const&) = delete;
    Writer& operator=(Writer const&) = delete;

    // After a failed put() or flush() the buffered bytes are dropped: the stream is broken.
    Status put(std::string_view data);
    Status flush();

    size_t buffered() const { return m_used; }
    int fd() const { return m_fd; }
    void set_timeout(int timeout_ms) { m_timeout_ms = timeout_ms; }
    void set_write_fn(WriteFn write_fn) { m_write_fn = std::move(write_fn); }

private:
    Status write_out(std::string_view data);

    int m_fd;
    int m_timeout_ms;
    WriteFn m_write_fn;
    size_t m_used = 0;
    std::array<char, kBufferSize> m_buffer;
};

// Copies everything from in to out until end of input, in constant memory. Does not flush
// out. The Error text says which side failed ("unable to read", "timed out writing", ...).
Status copy(Reader& in, Writer& out);

} // namespace mta
