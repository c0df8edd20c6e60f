// todo - new messages: the scan of todo/ and the preprocessing of each message into
// info/N, local/N and remote/N (qmail-behaviour.md section 2, "Preprocessing by
// qmail-send"), made durable a batch at a time.
//
//     send::TodoScan scan;
//     scan.start();                                   // after reopening the trigger
//     while (scan.active()) {
//         auto ids = scan.next(100, log);
//         for (auto const& m : send::preprocess(ids, routing, log))
//             clean.queue_request({ "todo/N", m });    // scheduled when clean answers +
//     }
//
// preprocess() follows qmail-send's steps for each message: open todo/N, stat mess/N (its
// size is logged), remove stale local/N, remote/N, info/N and bounce/N, create info/N
// (O_EXCL; log "new msg N"), copy the F record (log "info msg N: bytes B from <S> qp P
// uid U") and append each T record, rewritten (rewrite.hpp), to local/N or remote/N
// (each created O_EXCL on first use). Then, for the whole batch: writeback starts for
// every new file, each is fsynced, and so is every directory that got a new name (so
// that their fsyncs share journal commits). Only then may clean remove todo/N: a crash at
// any instant leaves either todo/N (preprocessed again from scratch) or durable files.
// A message that fails gets a warning line and stays in todo/ for the next scan.
#pragma once

#include "activity_log.hpp"
#include "queue_paths.hpp"
#include "rewrite.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace send {

// A walk over the subdirectories DIR/0 .. DIR/kSplit-1 of a hashed queue directory,
// handing out the message numbers found a bounded number at a time (todo/ here,
// mess/ in mess_scan.hpp). Names that are not message numbers are passed over.
class HashedScan {
public:
    explicit HashedScan(std::string_view dir)
        : m_top(dir)
    {
    }
    bool active() const { return m_dir >= 0; }
    // Starts a scan of every subdirectory.
    void start();
    // Up to max message numbers not yet returned by this scan; the scan is over
    // (active() false) once every subdirectory has been read. A subdirectory that cannot
    // be read is logged ("alert: unable to opendir DIR/K: ...") and passed over.
    std::vector<unsigned long> next(size_t max, ActivityLog& log);

private:
    std::string_view m_top;
    int m_dir = -1; // the subdirectory being read; -1 between scans
    bool m_listed = false;
    std::vector<std::string> m_names;
    size_t m_index = 0;
};

class TodoScan : public HashedScan {
public:
    TodoScan()
        : HashedScan(mta::kTodoDir)
    {
    }
};

struct Preprocessed {
    unsigned long id;
    bool has[kChannels]; // local/N, remote/N exist
};

// The messages of ids now preprocessed durably, in order.
std::vector<Preprocessed> preprocess(
    std::vector<unsigned long> const& ids, Routing const& routing, ActivityLog& log);

} // namespace send
