#include "tai64n.hpp"

#include <cstdint>

namespace mta {

namespace {

constexpr uint64_t kTai64Unix = (uint64_t { 1 } << 62) + 10;
constexpr char kHexDigits[] = "0123456789abcdef";

void put_hex(std::string& out, uint64_t value, int digits)
{
    for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4)
        out += kHexDigits[(value >> shift) & 0xf];
}

int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool scan_hex(std::string_view digits, uint64_t& value)
{
    value = 0;
    for (char c : digits) {
        int v = hex_value(c);
        if (v < 0)
            return false;
        value = value << 4 | static_cast<uint64_t>(v);
    }
    return true;
}

} // namespace

std::string tai64n_format(struct timespec ts)
{
    std::string out;
    out.reserve(kTai64nLabelLength);
    out += '@';
    // Unsigned arithmetic wraps, so a time before 1970 gets its label below 2^62 + 10.
    put_hex(out, kTai64Unix + static_cast<uint64_t>(ts.tv_sec), 16);
    put_hex(out, static_cast<uint64_t>(ts.tv_nsec) & 0xffffffff, 8);
    return out;
}

std::string tai64n_now()
{
    struct timespec ts { };
    ::clock_gettime(CLOCK_REALTIME, &ts); // cannot fail with a valid clock and pointer
    return tai64n_format(ts);
}

Result<struct timespec> tai64n_parse(std::string_view label)
{
    uint64_t seconds = 0;
    uint64_t nanoseconds = 0;
    if (label.size() != kTai64nLabelLength || label.front() != '@'
        || !scan_hex(label.substr(1, 16), seconds) || !scan_hex(label.substr(17, 8), nanoseconds))
        return Error::plain("invalid tai64n label");
    if (seconds >= uint64_t { 1 } << 63 || nanoseconds >= 1000000000)
        return Error::plain("tai64n label out of range");
    struct timespec ts { };
    // Both operands are below 2^63, so the difference fits a signed 64-bit time_t.
    ts.tv_sec
        = static_cast<time_t>(static_cast<int64_t>(seconds) - static_cast<int64_t>(kTai64Unix));
    ts.tv_nsec = static_cast<long>(nanoseconds);
    return ts;
}

} // namespace mta
