#include "mess_scan.hpp"

#include "queue_paths.hpp"

#include <algorithm>
#include <cerrno>
#include <string>
#include <sys/stat.h>

namespace send {

namespace {

enum class Presence { absent, present, unknown };

// Only ENOENT is absent. EACCES is absent too where may_hide is set (intd/: see the
// header); any other failure is unknown, with a warning.
Presence presence(std::string const& path, bool may_hide, ActivityLog& log)
{
    struct stat st;
    if (::stat(path.c_str(), &st) == 0)
        return Presence::present;
    if (errno == ENOENT || (may_hide && errno == EACCES))
        return Presence::absent;
    log.line("warning: unable to stat " + path);
    return Presence::unknown;
}

} // namespace

bool is_orphan(unsigned long id, time_t now, ActivityLog& log)
{
    std::string const mess = mta::hashed_path(mta::kMessDir, id);
    struct stat st;
    if (::stat(mess.c_str(), &st) == -1) {
        if (errno != ENOENT) // ENOENT: removed since the walk listed it
            log.line("warning: unable to stat " + mess);
        return false;
    }
    if (now - std::max(st.st_atime, st.st_mtime) < kOssified)
        return false;
    return presence(mta::hashed_path(mta::kInfoDir, id), false, log) == Presence::absent
        && presence(mta::hashed_path(mta::kTodoDir, id), false, log) == Presence::absent
        && presence(mta::hashed_path(mta::kIntdDir, id), true, log) == Presence::absent;
}

std::vector<unsigned long> MessScan::next(size_t max, time_t now, ActivityLog& log)
{
    std::vector<unsigned long> orphans;
    for (auto id : m_walk.next(max, log))
        if (is_orphan(id, now, log))
            orphans.push_back(id);
    return orphans;
}

} // namespace send
