#include "logger.hpp"

#include "exit_codes.hpp"
#include "log.hpp"
#include "signal_wait.hpp"
#include "tai64n.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

namespace sv {

namespace {

constexpr size_t kChunkBytes = 65536;
constexpr size_t kAlertBytes = 200; // `e` copies this much of a line

} // namespace

void Logger::open_or_die()
{
    m_wait_mask = mta::catch_signals({ SIGALRM, SIGTERM });

    for (auto const& settings : m_script.directories) {
        auto dir = LogDir::open(settings);
        if (!dir)
            mta::log::fatal(mta::kExitTemp, "unable to set up " + settings.path, dir.error());
        m_dirs.push_back(std::move(*dir));
    }
    for (auto const& file : m_script.status_files) {
        int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd == -1)
            mta::log::fatal(
                mta::kExitTemp, "unable to open " + file, mta::Error::from_errno("open"));
        m_status_files.emplace_back(fd);
    }
    auto pipe = mta::make_pipe();
    if (pipe)
        m_tee = std::move(*pipe);
    else
        m_use_tee = false;
}

int Logger::run()
{
    std::string chunk;
    for (;;) {
        if (mta::take_signal(SIGALRM)) {
            for (auto& d : m_dirs)
                d.rotate();
        }
        if (mta::signal_seen(SIGTERM) && m_partial.empty())
            break;
        struct pollfd p {
            0, POLLIN, 0
        };
        if (::ppoll(&p, 1, nullptr, &m_wait_mask) == -1)
            continue; // a signal
        bool const teed = m_use_tee;
        if (!peek(chunk)) {
            if (!m_partial.empty())
                line(m_partial);
            m_partial.clear();
            break;
        }
        take_lines(chunk, teed);
    }
    flush_all();
    for (auto& d : m_dirs)
        d.finish();
    return mta::kExitOk;
}

// Logs the lines that chunk completes and takes them out of fd 0 (teed: chunk is still
// in the pipe); the rest of chunk is kept as the start of the next line.
void Logger::take_lines(std::string const& chunk, bool teed)
{
    size_t const last = chunk.rfind('\n');
    if (last == std::string::npos) {
        if (teed)
            consume(chunk.size());
        m_partial += chunk;
        while (m_partial.size() >= kMaxLineBytes) {
            line(std::string_view(m_partial).substr(0, kMaxLineBytes));
            m_partial.erase(0, kMaxLineBytes);
        }
        return;
    }
    std::string_view whole(chunk.data(), last + 1);
    if (!m_partial.empty()) {
        size_t const first = whole.find('\n');
        m_partial.append(whole.data(), first);
        line(m_partial);
        m_partial.clear();
        whole.remove_prefix(first + 1);
    }
    process(whole);
    flush_all();
    if (teed)
        consume(last + 1);
    else
        m_partial.assign(chunk, last + 1);
}

// Copies what fd 0 holds into out, without taking it out of the pipe when tee(2) works;
// false at end of input. out may be empty (nothing there after all).
bool Logger::peek(std::string& out)
{
    out.clear();
    if (m_use_tee) {
        ssize_t n = ::tee(0, m_tee.write_end.get(), kChunkBytes, SPLICE_F_NONBLOCK);
        if (n == 0)
            return false;
        if (n > 0) {
            out.resize(static_cast<size_t>(n));
            size_t got = 0;
            while (got < out.size()) {
                ssize_t r = ::read(m_tee.read_end.get(), out.data() + got, out.size() - got);
                if (r > 0)
                    got += static_cast<size_t>(r);
                else if (r == -1 && errno != EINTR)
                    mta::log::fatal(mta::kExitTemp, "unable to read the copy of the input",
                        mta::Error::from_errno("read"));
            }
            return true;
        }
        if (errno == EAGAIN || errno == EINTR)
            return true;
        m_use_tee = false; // EINVAL: fd 0 is not a pipe
    }
    out.resize(kChunkBytes);
    ssize_t n = ::read(0, out.data(), out.size());
    if (n == 0)
        return false;
    if (n < 0) {
        out.clear();
        if (errno == EAGAIN || errno == EINTR)
            return true;
        mta::log::fatal(mta::kExitTemp, "unable to read input", mta::Error::from_errno("read"));
    }
    out.resize(static_cast<size_t>(n));
    return true;
}

// Takes bytes that peek() saw out of fd 0.
void Logger::consume(size_t bytes)
{
    char buf[8192];
    while (bytes > 0) {
        ssize_t n = ::read(0, buf, bytes < sizeof buf ? bytes : sizeof buf);
        if (n > 0)
            bytes -= static_cast<size_t>(n);
        else if (n == 0 || errno != EINTR)
            mta::log::fatal(mta::kExitTemp, "unable to read input", mta::Error::from_errno("read"));
    }
}

void Logger::process(std::string_view chunk)
{
    while (!chunk.empty()) {
        size_t const end = chunk.find('\n');
        line(chunk.substr(0, end));
        chunk.remove_prefix(end + 1);
    }
}

void Logger::line(std::string_view text)
{
    m_text.clear();
    if (m_script.timestamp) {
        m_text = mta::tai64n_now();
        m_text += ' ';
    }
    m_text += text;
    m_text += '\n';
    std::string_view const match
        = std::string_view(m_text).substr(0, std::min(kMatchBytes, m_text.size() - 1));
    bool selected = true;
    for (auto const& a : m_script.actions) {
        switch (a.kind) {
        case ActionKind::deselect:
            if (selected && pattern_match(a.text, match))
                selected = false;
            break;
        case ActionKind::select:
            if (!selected && pattern_match(a.text, match))
                selected = true;
            break;
        case ActionKind::alert:
            if (selected) {
                std::string alert(match.substr(0, kAlertBytes));
                alert += match.size() > kAlertBytes ? "...\n" : "\n";
                (void)mta::write_all(2, alert);
            }
            break;
        case ActionKind::status:
            if (selected) {
                std::string padded(match);
                padded.resize(kMatchBytes + 1, '\n');
                if (::pwrite(m_status_files[a.index].get(), padded.data(), padded.size(), 0) < 0)
                    mta::log::warn("unable to write " + a.text, mta::Error::from_errno("write"));
            }
            break;
        case ActionKind::directory:
            if (selected)
                m_dirs[a.index].append(m_text);
            break;
        }
    }
}

void Logger::flush_all()
{
    for (auto& d : m_dirs)
        d.flush();
}

} // namespace sv
