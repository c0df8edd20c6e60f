// retry - qmail-send's retry schedule, shared by send (which follows it) and
// `mailctl queue` (which shows it).
//
//     time_t next = mta::next_retry(birth, now, mta::kChanskipLocal);
//
// With birth the mtime of info/N and age = now - birth, n = floor(sqrt(age)) + chanskip
// and the next attempt is at birth + n*n: local attempts about 0, 100, 400, 900, 1600 s
// after birth, remote ones 0, 400, 1600, 3600, 6400 s. Pure arithmetic; nothing fails.
#pragma once

#include <ctime>

namespace mta {

inline constexpr time_t kChanskipLocal = 10;
inline constexpr time_t kChanskipRemote = 20;

// floor(sqrt(x)) for x >= 0 (0 for x <= 0), exact for every time_t.
time_t isqrt(time_t x);
// The next attempt after one made at now.
time_t next_retry(time_t birth, time_t now, time_t chanskip);
// The first attempt after now when every attempt so far came on time: the schedule's
// grid birth + (k * chanskip)^2. For showing a queue, where no attempt is made now.
time_t next_on_schedule(time_t birth, time_t now, time_t chanskip);

} // namespace mta
