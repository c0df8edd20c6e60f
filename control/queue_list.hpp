// queue_list - what is in the queue, for `mailctl queue` (qmail-qread) and
// `mailctl queue --stats` (qmail-qstat). Reads the layout of DESIGN section 4
// (lib/queue_paths.hpp) directly: info/ local/ remote/ mess/ todo/ hashed, bounce/ flat.
//
//     auto ids = admin::queued_ids("/var/mail-suite/queue");      // info/ and todo/
//     for (auto id : *ids)
//         if (auto m = admin::read_queued(queue, id); m && *m)
//             std::fputs(admin::format_message(**m, ::time(nullptr)).c_str(), stdout);
//
// A message is queued when info/N (preprocessed) or todo/N (not yet) exists; when both
// do, todo/N wins, as the scheduler preprocesses it again. A message that leaves the
// queue while it is being read is not an error (read_queued gives nullopt); a file that
// cannot be read or holds a truncated record is, with a static text naming the file kind.
//
// Listing format (one message, then one line per recipient, two spaces indented):
//
//     msg 123456 arrived 2024-03-07T09:05:01Z age 3600 size 4096 from <a@example.org>
//       local pending <x@here.example>
//       remote done <y@there.example>
//     msg 123999 arrived 2024-03-07T10:00:00Z age 12 size 300 from <> not yet preprocessed
//       pending <z@there.example>
//
// The first ten words of a message line are fixed; words after the sender are, in this
// order: `next local TIME` and `next remote TIME` for a channel with pending recipients
// (next_attempt()), `bouncing` (bounce/N exists) and `not yet preprocessed`. Addresses are
// written between < and > with every byte outside printable ASCII, space and backslash as
// \xHH, so an address is one word and the last word of its line.
#pragma once

#include "error.hpp"

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace admin {

enum class Channel { local, remote, unsorted }; // unsorted: still in todo/N

struct QueuedRecipient {
    Channel channel;
    bool done; // 'D' record: delivered or failed for good
    std::string address;
};

struct QueuedMessage {
    unsigned long id = 0;
    time_t arrived = 0; // mtime of info/N, or of mess/N before preprocessing
    off_t size = 0; // of mess/N
    std::string sender;
    bool preprocessed = true; // false: todo/N
    bool bouncing = false; // bounce/N exists
    std::vector<QueuedRecipient> recipients; // local ones first, then remote
    time_t channel_mtime[2] = { 0, 0 }; // local/N, remote/N (0: no such file)
};

struct QueueStats {
    size_t messages = 0;
    size_t not_preprocessed = 0;
    size_t local_pending = 0;
    size_t remote_pending = 0;
    size_t unsorted_pending = 0; // recipients of messages not yet preprocessed

    void add(QueuedMessage const& message);
};

// The numbers of the files in info/ and todo/ (every hashed subdirectory), sorted, each
// once. Names that are not numbers are skipped.
mta::Result<std::vector<unsigned long>> queued_ids(std::string const& queue);

// When message id arrived (for ordering); nullopt when it is gone.
std::optional<time_t> arrival_time(std::string const& queue, unsigned long id);

// One message; nullopt when it left the queue while being read.
mta::Result<std::optional<QueuedMessage>> read_queued(std::string const& queue, unsigned long id);

// When send next tries a channel of a message born at birth (send/schedule.hpp): the
// channel file's mtime when it lies ahead (send writes the next attempt there when it
// stops), else the next point after now of send's schedule, birth + (k * skip)^2 with
// skip 10 (local) or 20 (remote). An estimate: `mailctl flush` moves every attempt to now.
time_t next_attempt(time_t birth, time_t channel_mtime, time_t now, time_t skip);

// The message line and its recipient lines, each ending in '\n'.
std::string format_message(QueuedMessage const& message, time_t now);
std::string format_stats(QueueStats const& stats);
// "<" + address with unsafe bytes as \xHH + ">".
std::string quote_address(std::string_view address);
// "2024-03-07T09:05:01Z"
std::string utc_time(time_t when);

} // namespace admin
