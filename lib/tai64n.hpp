// tai64n - TAI64N time stamps as daemontools and multilog write them.
//
//     std::string stamp = mta::tai64n_now();     // "@4000000065e9834b1d2a5e80"
//     auto ts = mta::tai64n_parse(stamp);        // back to a struct timespec
//     if (!ts) return ts.error();
//
// A label is "@", 16 lowercase hex digits of the TAI64 second (2^62 + 10 + the unix
// second; the 10 is the TAI-UTC offset that djb's libtai uses, leap seconds since 1972
// are ignored as they are in daemontools) and 8 hex digits of the nanosecond.
// Formatting cannot fail. tai64n_parse takes exactly one label (25 characters; hex
// digits in either case) and returns an Error: "invalid tai64n label" for any other
// text, "tai64n label out of range" for a second at or past 2^63 (reserved by TAI64)
// or a nanosecond field of 10^9 or more.
#pragma once

#include "error.hpp"

#include <cstddef>
#include <ctime>
#include <string>
#include <string_view>

namespace mta {

inline constexpr size_t kTai64nLabelLength = 25;

std::string tai64n_format(struct timespec ts);
std::string tai64n_now();
Result<struct timespec> tai64n_parse(std::string_view label);

} // namespace mta
