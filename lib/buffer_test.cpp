#include "buffer.hpp"
#include "fd.hpp"
#include "process.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <thread>
#include <unistd.h>

using namespace mta;

namespace {

// A pipe holding `data`, its write end closed: the reader sees data, then end of input.
Pipe pipe_with(std::string_view data)
{
    auto p = make_pipe();
    REQUIRE(p.ok());
    REQUIRE(write_all(p->write_end.get(), data).ok());
    REQUIRE(p->write_end.close().ok());
    return std::move(*p);
}

long long elapsed_ms(std::chrono::steady_clock::time_point since)
{
    auto d = std::chrono::steady_clock::now() - since;
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// Deterministic bytes of every value, NUL and newline included.
std::string pattern(size_t size)
{
    std::string out(size, '\0');
    unsigned x = 12345;
    for (auto& c : out) {
        x = x * 1103515245 + 12345;
        c = static_cast<char>(x >> 16);
    }
    return out;
}

} // namespace

TEST_CASE("get_line splits LF and CRLF lines and reports a partial last line", "[lib][buffer]")
{
    auto p = pipe_with("HELO a\r\nbare\n\nlast");
    Reader in(p.read_end.get());
    std::string line;
    struct Want {
        LineStatus status;
        std::string text;
    };
    std::vector<Want> const wants = {
        { LineStatus::line, "HELO a\r" },
        { LineStatus::line, "bare" },
        { LineStatus::line, "" },
        { LineStatus::partial, "last" },
        { LineStatus::eof, "" },
        { LineStatus::eof, "" },
    };
    for (auto const& want : wants) {
        auto got = in.get_line(line, 100);
        REQUIRE(got.ok());
        INFO("got \"" << line << "\", want \"" << want.text << "\"");
        CHECK(*got == want.status);
        CHECK(line == want.text);
    }
}

TEST_CASE("get_line takes a line of exactly max bytes", "[lib][buffer]")
{
    auto p = pipe_with("12345\nabc\n12345");
    Reader in(p.read_end.get());
    std::string line;
    CHECK(*in.get_line(line, 5) == LineStatus::line);
    CHECK(line == "12345");
    CHECK(*in.get_line(line, 5) == LineStatus::line);
    CHECK(line == "abc");
    CHECK(*in.get_line(line, 5) == LineStatus::partial);
    CHECK(line == "12345");
}

TEST_CASE("an overlong line is cut at max and skipped; the next line is readable", "[lib][buffer]")
{
    std::string huge(100000, 'x');
    auto p = make_pipe();
    REQUIRE(p.ok());
    std::thread writer([&] {
        (void)write_all(p->write_end.get(), "123456\nnext\n" + huge + "\r\nQUIT\r\n");
        (void)p->write_end.close();
    });
    Reader in(p->read_end.get());
    std::string line;
    CHECK(*in.get_line(line, 5) == LineStatus::too_long);
    CHECK(line == "12345");
    REQUIRE(in.skip_line().ok());
    CHECK(*in.get_line(line, 5) == LineStatus::line);
    CHECK(line == "next");
    CHECK(*in.get_line(line, 1000) == LineStatus::too_long);
    CHECK(line.size() == 1000);
    CHECK(line.capacity() < 2 * kBufferSize);
    REQUIRE(in.skip_line().ok());
    CHECK(*in.get_line(line, 1000) == LineStatus::line);
    CHECK(line == "QUIT\r");
    CHECK(*in.get_line(line, 1000) == LineStatus::eof);
    writer.join();
}

TEST_CASE("get_line keeps NUL bytes and honours another delimiter", "[lib][buffer]")
{
    auto p = pipe_with(std::string("a\0b\n", 4) + std::string("x\0y\0", 4));
    Reader in(p.read_end.get());
    std::string line;
    CHECK(*in.get_line(line, 10) == LineStatus::line);
    CHECK(line == std::string("a\0b", 3));
    CHECK(*in.get_line(line, 10, '\0') == LineStatus::line);
    CHECK(line == "x");
    CHECK(*in.get_line(line, 10, '\0') == LineStatus::line);
    CHECK(line == "y");
}

TEST_CASE("has_buffered sees pipelined input; discard_buffered drops it", "[lib][buffer]")
{
    auto p = pipe_with("STARTTLS\r\nMAIL FROM:<a@b>\r\n");
    Reader in(p.read_end.get());
    std::string line;
    CHECK_FALSE(in.has_buffered());
    CHECK(*in.get_line(line, 100) == LineStatus::line);
    CHECK(in.has_buffered());
    in.discard_buffered();
    CHECK_FALSE(in.has_buffered());
    CHECK(*in.get_line(line, 100) == LineStatus::eof);
}

TEST_CASE("read returns buffered bytes first, then 0 at end of input", "[lib][buffer]")
{
    auto p = pipe_with("line\nrest of it");
    Reader in(p.read_end.get());
    std::string line;
    CHECK(*in.get_line(line, 100) == LineStatus::line);
    char buf[64];
    auto got = in.read(buf, sizeof buf);
    REQUIRE(got.ok());
    CHECK(std::string(buf, *got) == "rest of it");
    CHECK(*in.read(buf, sizeof buf) == 0);
}

TEST_CASE("a reader times out on a silent pipe", "[lib][buffer]")
{
    auto p = make_pipe();
    REQUIRE(p.ok());
    Reader in(p->read_end.get(), 100);
    std::string line;
    auto start = std::chrono::steady_clock::now();
    auto got = in.get_line(line, 100);
    auto ms = elapsed_ms(start);
    REQUIRE_FALSE(got.ok());
    CHECK(got.error().errnum == ETIMEDOUT);
    CHECK(got.error().text() == std::string("timed out reading: ") + std::strerror(ETIMEDOUT));
    CHECK(ms >= 99);
    CHECK(ms < 1000);
}

TEST_CASE("a writer times out on a full pipe", "[lib][buffer]")
{
    auto p = make_pipe();
    REQUIRE(p.ok());
    Writer out(p->write_end.get(), 100);
    REQUIRE(out.put(std::string(100, 'x')).ok());
    auto start = std::chrono::steady_clock::now();
    // The pipe takes 64 KiB, then nobody drains it; the pipe stays blocking.
    Status st = out.put(std::string(1 << 20, 'y'));
    auto ms = elapsed_ms(start);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().errnum == ETIMEDOUT);
    CHECK(std::string(st.error().what) == "timed out writing");
    CHECK(ms >= 99);
    CHECK(ms < 1000);
}

TEST_CASE("writing to a pipe nobody reads is EPIPE", "[lib][buffer]")
{
    ignore_sigpipe();
    auto p = make_pipe();
    REQUIRE(p.ok());
    REQUIRE(p->read_end.close().ok());
    Writer out(p->write_end.get());
    REQUIRE(out.put("hello").ok());
    Status st = out.flush();
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().errnum == EPIPE);
    CHECK(out.buffered() == 0);
}

TEST_CASE("a non-blocking reader waits for input when it would block", "[lib][buffer]")
{
    auto p = make_pipe();
    REQUIRE(p.ok());
    REQUIRE(set_nonblocking(p->read_end.get(), true).ok());
    std::thread writer([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        (void)write_all(p->write_end.get(), "late\n");
    });
    Reader in(p->read_end.get());
    std::string line;
    auto got = in.get_line(line, 100);
    writer.join();
    REQUIRE(got.ok());
    CHECK(*got == LineStatus::line);
    CHECK(line == "late");
}

TEST_CASE("copy moves 10 MB through pipes unchanged", "[lib][buffer]")
{
    std::string const data = pattern(10 << 20);
    auto in_pipe = make_pipe();
    auto out_pipe = make_pipe();
    REQUIRE(in_pipe.ok());
    REQUIRE(out_pipe.ok());
    std::thread producer([&] {
        Writer w(in_pipe->write_end.get());
        for (size_t at = 0; at < data.size(); at += 1000)
            (void)w.put(std::string_view(data).substr(at, 1000));
        (void)w.flush();
        (void)in_pipe->write_end.close();
    });
    std::string received;
    std::thread consumer([&] {
        Reader r(out_pipe->read_end.get());
        char buf[3000];
        while (auto got = r.read(buf, sizeof buf)) {
            if (*got == 0)
                break;
            received.append(buf, *got);
        }
    });
    Reader in(in_pipe->read_end.get(), 5000);
    Writer out(out_pipe->write_end.get(), 5000);
    Status st = copy(in, out);
    if (st)
        st = out.flush();
    REQUIRE(out_pipe->write_end.close().ok());
    producer.join();
    consumer.join();
    REQUIRE(st.ok());
    CHECK(received.size() == data.size());
    CHECK(received == data);
}

TEST_CASE("the raw read and write functions can be replaced", "[lib][buffer]")
{
    auto p = pipe_with("one\ntwo\n");
    int reads = 0;
    // One byte per call, as a slow peer or a TLS layer with tiny records would deliver.
    Reader in(p.read_end.get(), 1000, [&](int fd, void* buf, size_t) {
        ++reads;
        return ::read(fd, buf, 1);
    });
    std::string line;
    CHECK(*in.get_line(line, 100) == LineStatus::line);
    CHECK(line == "one");
    CHECK(*in.get_line(line, 100) == LineStatus::line);
    CHECK(line == "two");
    CHECK(reads == 8);

    auto q = make_pipe();
    REQUIRE(q.ok());
    std::string seen;
    Writer out(q->write_end.get(), 0, [&](int, void const* buf, size_t len) {
        seen.append(static_cast<char const*>(buf), len);
        return static_cast<ssize_t>(len);
    });
    REQUIRE(out.put("250 ok\r\n").ok());
    CHECK(seen.empty());
    REQUIRE(out.flush().ok());
    CHECK(seen == "250 ok\r\n");
}

TEST_CASE("read errors are reported", "[lib][buffer]")
{
    Reader in(-1);
    std::string line;
    auto got = in.get_line(line, 10);
    REQUIRE_FALSE(got.ok());
    CHECK(got.error().errnum == EBADF);
    CHECK(std::string(got.error().what) == "unable to read");
}
