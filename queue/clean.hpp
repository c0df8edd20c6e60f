// clean - removes queue files for send and sweeps up after crashed injections
// (qmail-clean compatible, plus the orphan sweep of issue 3).
//
//     auto request = queue::parse_request("todo/12345");  // the bytes before the NUL
//     char reply = request ? queue::perform(".", *request) : queue::kReplyBad;
//     return queue::serve(".", 0, 1);                       // the loop send talks to
//
// Requests: "foop/N" unlinks intd/K/N then mess/K/N (a finished message); "todo/N"
// unlinks intd/K/N, fsyncs intd/K, then unlinks todo/K/N (a preprocessed message: its
// intd must not come back after a crash, see sweep.hpp). The reply is '+' when the
// files are gone (ENOENT counts as gone), '!' when an unlink failed, 'x' for a request
// that is not one of the two forms.
//
// The sweep that removes crashed injections' leftovers is in sweep.hpp.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace queue {

inline constexpr char kReplyDone = '+';
inline constexpr char kReplyFailed = '!';
inline constexpr char kReplyBad = 'x';

struct Request {
    enum class Kind { foop, todo } kind;
    unsigned long number;
};

// A request's bytes without the terminating NUL: "foop/" or "todo/" and digits only, 6 to
// 99 bytes (7 to 100 with the NUL, as qmail-clean); nullopt otherwise.
std::optional<Request> parse_request(std::string_view text);

// Carries out a request; returns kReplyDone or kReplyFailed.
char perform(std::string const& queue_dir, Request const& request);

// The serving loop: requests on in_fd, one reply byte each on out_fd, until end of input.
// Sweeps (kSweepAge) before the first request and then after every kSweepEvery requests
// when kSweepInterval seconds have passed since the last sweep: a sweep reads every name
// in pid/ and intd/ (thousands while a queue is full), and what it removes must be 36
// hours old anyway. Returns the exit code: 0 at end of input, 111 when a read or write
// fails.
inline constexpr unsigned kSweepEvery = 30;
inline constexpr time_t kSweepInterval = 600;
int serve(std::string const& queue_dir, int in_fd, int out_fd);

} // namespace queue
