// mess_scan - qmail-send's cleanup_do: a walk over mess/ for message files that nothing
// refers to any more, so that clean can be asked to remove them (foop/N).
//
//     send::MessScan scan;
//     scan.start();                                        // at start, then every 76431 s
//     while (scan.active())                                // one step per loop turn
//         for (auto id : scan.next(100, ::time(nullptr), log))
//             clean.queue_request(send::CleanLink::orphan(id));
//
// Such orphans come from a foop/N that clean never carried out (clean died, or send's
// bounded wait at exit ran out), from a crash between send's unlink of info/N and clean's
// unlink of mess/N, and from an injection that died before its commit. mess/K/N is an
// orphan when its newest of atime and mtime is at least kOssified (36 h) old, longer
// than the queue program's 24 h deadline, so no injection can still be writing it, and
// neither info/K/N nor todo/K/N exists. intd/K/N present means an injection that is
// unfinished or died (clean's sweep removes those): not an orphan. send (mss) may not
// search intd/ (mode 0700, msq) in an installed queue: EACCES there counts as absent,
// as qmail-send never looks at intd/ either; the age rule covers a running injection, and
// clean's foop/N removes intd/N before mess/N.
//
// Only ENOENT says a file is absent: any other failing stat (logged as a warning) keeps
// the message for the next walk, never removes it on doubt. Nothing here removes files.
#pragma once

#include "activity_log.hpp"
#include "todo.hpp"

#include <cstddef>
#include <ctime>
#include <vector>

namespace send {

inline constexpr time_t kOssified = 129600; // qmail-send's OSSIFIED: 36 hours

// Whether mess/K/N is an orphan at now (above).
bool is_orphan(unsigned long id, time_t now, ActivityLog& log);

class MessScan {
public:
    bool active() const { return m_walk.active(); }
    // Starts a walk over every subdirectory of mess/.
    void start() { m_walk.start(); }
    // Looks at up to max names of mess/ not yet seen by this walk; the orphans among
    // them. The walk is over (active() false) once every subdirectory has been read.
    std::vector<unsigned long> next(size_t max, time_t now, ActivityLog& log);

private:
    HashedScan m_walk { mta::kMessDir };
};

} // namespace send
