#include "retry.hpp"

#include <cmath>

namespace mta {

time_t isqrt(time_t x)
{
    if (x <= 0)
        return 0;
    auto y = static_cast<time_t>(std::sqrt(static_cast<double>(x)));
    while (y > 0 && y * y > x) // the double may be a little off for big x
        --y;
    while ((y + 1) * (y + 1) <= x)
        ++y;
    return y;
}

time_t next_retry(time_t birth, time_t now, time_t chanskip)
{
    time_t const n = (birth > now ? 0 : isqrt(now - birth)) + chanskip;
    return birth + n * n;
}

time_t next_on_schedule(time_t birth, time_t now, time_t chanskip)
{
    time_t const n = (isqrt(now - birth) / chanskip + 1) * chanskip;
    return birth + n * n;
}

} // namespace mta
