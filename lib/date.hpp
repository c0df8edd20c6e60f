// date - the RFC 822 date qmail writes in Received: lines (qmail's date822fmt).
//
//     std::string when = mta::rfc822_date(::time(nullptr));  // "7 Mar 2024 09:05:01 -0000"
//
// Always UTC with the zone written "-0000" (RFC 2822: the local offset is not known),
// the day of month without a leading zero, no weekday and no trailing newline, exactly
// as qmail-queue formats it. The conversion is pure arithmetic: it does not read TZ,
// the locale or the zone files, and it cannot fail for any time_t.
#pragma once

#include <ctime>
#include <string>

namespace mta {

std::string rfc822_date(time_t when);

} // namespace mta
