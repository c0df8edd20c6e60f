// sweep - removes what crashed injections left in the queue, and nothing else (issue 3's
// addition to qmail-clean, which only removed old pid/ files).
//
//     queue::SweepCounts removed = queue::sweep(".", ::time(nullptr), queue::kSweepAge);
//
// How it knows. A queue process holds an flock on its pid/mess inode and on its intd
// file until it exits, and creates intd/K/N before its message gets the name mess/K/N.
// So until its commit (the link of intd/K/N to todo/K/N) "intd/K/N without todo/K/N" is
// a witness of an unfinished injection. After the commit no witness is left: todo/K/N
// exists, and when send has preprocessed the message, clean's todo/N request removed
// intd/K/N, durably (it fsyncs intd/K), before todo/K/N. So an intd/K/N without
// todo/K/N whose lock is free belongs to an injection that ended without committing:
// the sweep removes its mess/K/N and then the intd file. A pid/ name whose lock is free
// is removed too, but only the name: after a machine crash a pid name may come back
// beside a message that was committed and preprocessed since (the queue does not fsync
// pid/), so a pid name never condemns a mess file.
//
// Only files last changed (mtime) at least max_age seconds ago are touched. The sweep
// never removes a queued message (todo/K/N), a preprocessed one (no witness; clean
// cannot even see info/, which is mss's), or a running injection (locked). It removes
// the witness last, so a sweep that is killed halfway leaves a witness for the next one.
//
// Errors are skipped: the next sweep tries again. Paths are relative to queue_dir.
#pragma once

#include <ctime>
#include <string>

namespace queue {

// 36 hours: longer than the queue program's 24-hour deadline (qmail's OSSIFIED).
inline constexpr time_t kSweepAge = 129600;

struct SweepCounts {
    unsigned pid_files = 0; // pid/ names removed
    unsigned messages = 0; // uncommitted mess files removed (with their intd)
    unsigned intd_files = 0; // uncommitted intd files removed
    unsigned busy = 0; // witnesses skipped: their injection is still running (locked)
    unsigned young = 0; // witnesses skipped: changed less than max_age seconds ago
};

SweepCounts sweep(std::string const& queue_dir, time_t now, time_t max_age);

} // namespace queue
