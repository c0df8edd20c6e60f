#include "activity_log.hpp"

#include "fd.hpp"

#include <cerrno>
#include <unistd.h>

namespace send {

namespace {

// Pending text beyond this is written at once: memory stays bounded in a long turn.
constexpr size_t kFlushAt = size_t { 64 } * 1024;

} // namespace

std::string log_safe(std::string_view text)
{
    std::string out(text);
    for (char& ch : out) {
        auto c = static_cast<unsigned char>(ch);
        if (c == '\n')
            ch = '/';
        else if (c == '%' || c < 33 || c > 126)
            ch = '_';
    }
    return out;
}

bool remove_or_warn(std::string const& path, ActivityLog& log)
{
    if (::unlink(path.c_str()) == 0 || errno == ENOENT)
        return true;
    log.line("warning: unable to unlink " + path);
    return false;
}

void ActivityLog::line(std::string_view text)
{
    m_pending += text;
    m_pending += '\n';
    if (m_pending.size() >= kFlushAt)
        flush();
}

void ActivityLog::flush()
{
    if (m_pending.empty())
        return;
    (void)mta::write_all(m_fd, m_pending);
    m_pending.clear();
}

} // namespace send
