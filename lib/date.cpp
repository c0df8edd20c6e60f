#include "date.hpp"

#include <cstdint>

namespace mta {

namespace {

constexpr char const* kMonths[]
    = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

struct CivilDate {
    int64_t year;
    int month; // 1..12
    int day; // 1..31
};

// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days);
// valid for every day count that a 64-bit time_t can produce.
CivilDate civil_from_days(int64_t days)
{
    days += 719468; // from 1970-01-01 to 0000-03-01
    int64_t const era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t const day_of_era = days - era * 146097;
    int64_t const year_of_era
        = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t const day_of_year
        = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t const mp = (5 * day_of_year + 2) / 153; // March = 0
    int const day = static_cast<int>(day_of_year - (153 * mp + 2) / 5 + 1);
    int const month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    return { year_of_era + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

void put_two_digits(std::string& out, int64_t value)
{
    out += static_cast<char>('0' + value / 10);
    out += static_cast<char>('0' + value % 10);
}

} // namespace

std::string rfc822_date(time_t when)
{
    int64_t const t = when;
    int64_t days = t / 86400;
    int64_t seconds = t % 86400;
    if (seconds < 0) { // floor division for times before 1970
        seconds += 86400;
        --days;
    }
    CivilDate const date = civil_from_days(days);
    std::string out = std::to_string(date.day);
    out += ' ';
    out += kMonths[date.month - 1];
    out += ' ';
    out += std::to_string(date.year);
    out += ' ';
    put_two_digits(out, seconds / 3600);
    out += ':';
    put_two_digits(out, seconds / 60 % 60);
    out += ':';
    put_two_digits(out, seconds % 60);
    out += " -0000";
    return out;
}

} // namespace mta
