#include "maildir.hpp"

#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

namespace mta {

namespace {

constexpr size_t kChunk = size_t { 64 } * 1024;
constexpr int kCreateTries = 5;

// Deliveries made by this process, so two in the same microsecond get different names.
unsigned long g_sequence = 0;

std::string this_host()
{
    char name[HOST_NAME_MAX + 1];
    if (::gethostname(name, sizeof name) == -1)
        return maildir_host("");
    name[sizeof name - 1] = '\0';
    return maildir_host(name);
}

std::string next_name(std::string const& host)
{
    struct timeval now;
    ::gettimeofday(&now, nullptr);
    return maildir_unique_name(now.tv_sec, now.tv_usec, ::getpid(), ++g_sequence, host);
}

} // namespace

std::string maildir_host(std::string_view hostname)
{
    if (hostname.empty())
        return "localhost";
    std::string out;
    for (char c : hostname) {
        if (c == '/')
            out += "\\057";
        else if (c == ':')
            out += "\\072";
        else
            out += c;
    }
    return out;
}

std::string maildir_unique_name(
    int64_t seconds, long microseconds, pid_t pid, unsigned long sequence, std::string_view host)
{
    std::string out = std::to_string(seconds);
    out += ".M";
    out += std::to_string(microseconds);
    out += 'P';
    out += std::to_string(pid);
    out += 'Q';
    out += std::to_string(sequence);
    out += '.';
    out += host;
    return out;
}

Result<MaildirFile> MaildirFile::create(std::string const& dir)
{
    MaildirFile file;
    file.m_dir = dir;
    if (file.m_dir.empty() || file.m_dir.back() != '/')
        file.m_dir += '/';
    std::string const host = this_host();
    for (int attempt = 0;; ++attempt) {
        file.m_name = next_name(host);
        auto fd = open_excl(file.m_dir + "tmp/" + file.m_name, 0600);
        if (fd) {
            file.m_fd = std::move(*fd);
            break;
        }
        if (fd.error().errnum != EEXIST || attempt + 1 == kCreateTries)
            return Error { fd.error().errnum, "unable to create file in tmp" };
    }
    file.m_buffer.resize(kChunk);
    return file;
}

MaildirFile::MaildirFile(MaildirFile&& other) noexcept
    : m_dir(std::move(other.m_dir))
    , m_name(std::move(other.m_name))
    , m_fd(std::move(other.m_fd))
    , m_committed(other.m_committed)
    , m_buffer(std::move(other.m_buffer))
    , m_used(other.m_used)
{
    other.m_committed = true; // the moved-from object owns no tmp file
}

MaildirFile::~MaildirFile()
{
    if (!m_committed)
        ::unlink((m_dir + "tmp/" + m_name).c_str());
}

Status MaildirFile::flush()
{
    if (m_used == 0)
        return {};
    auto st = write_all(m_fd.get(), std::string_view(m_buffer.data(), m_used));
    m_used = 0;
    if (!st)
        return Error { st.error().errnum, "unable to write" };
    return {};
}

Status MaildirFile::write(std::string_view data)
{
    if (m_used + data.size() > m_buffer.size()) {
        if (auto st = flush(); !st)
            return st;
        if (data.size() >= m_buffer.size()) {
            if (auto st = write_all(m_fd.get(), data); !st)
                return Error { st.error().errnum, "unable to write" };
            return {};
        }
    }
    std::memcpy(m_buffer.data() + m_used, data.data(), data.size());
    m_used += data.size();
    return {};
}

Status MaildirFile::write_from(int fd)
{
    for (;;) {
        if (m_used == m_buffer.size()) {
            if (auto st = flush(); !st)
                return st;
        }
        ssize_t n = ::read(fd, m_buffer.data() + m_used, m_buffer.size() - m_used);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            return Error::from_errno("unable to read");
        if (n == 0)
            return {};
        m_used += static_cast<size_t>(n);
    }
}

Result<std::string> MaildirFile::commit()
{
    if (auto st = flush(); !st)
        return st.error();
    if (auto st = fsync_fd(m_fd.get()); !st)
        return Error { st.error().errnum, "unable to fsync" };
    if (auto st = m_fd.close(); !st)
        return Error { st.error().errnum, "unable to close" };
    std::string const tmp = m_dir + "tmp/" + m_name;
    std::string const fresh = m_dir + "new/" + m_name;
    if (::link(tmp.c_str(), fresh.c_str()) == -1)
        return Error::from_errno("unable to link into new");
    if (auto st = fsync_dir(m_dir + "new"); !st) {
        ::unlink(fresh.c_str()); // not known to be durable: let the caller retry
        return Error { st.error().errnum, "unable to fsync new" };
    }
    m_committed = true;
    ::unlink(tmp.c_str());
    return "new/" + m_name;
}

} // namespace mta
