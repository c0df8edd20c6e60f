#include "tcpto.hpp"

#include "fd.hpp"

#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace remote {

namespace {

constexpr unsigned kMaxErrors = 10;
constexpr time_t kErrorSpacing = 120;

struct Record {
    std::uint8_t family = 0;
    std::uint8_t count = 0;
    IpAddress ip;
    time_t when = 0;
};

Record get(std::string_view table, size_t i)
{
    auto const* p = reinterpret_cast<std::uint8_t const*>(table.data() + i * kTcptoRecordBytes);
    Record r;
    std::memcpy(r.ip.bytes.data(), p, 16);
    r.family = p[16];
    r.ip.v6 = r.family == 6;
    r.count = p[17];
    std::uint64_t when = 0;
    for (int b = 7; b >= 0; --b)
        when = (when << 8) | p[24 + b];
    r.when = static_cast<time_t>(when);
    return r;
}

void put(std::string& table, size_t i, Record const& r)
{
    auto* p = reinterpret_cast<std::uint8_t*>(table.data() + i * kTcptoRecordBytes);
    std::memset(p, 0, kTcptoRecordBytes);
    std::memcpy(p, r.ip.bytes.data(), 16);
    p[16] = r.family;
    p[17] = r.count;
    auto when = static_cast<std::uint64_t>(r.when);
    for (int b = 0; b < 8; ++b)
        p[24 + b] = static_cast<std::uint8_t>(when >> (8 * b));
}

std::uint8_t family_of(IpAddress const& ip)
{
    return ip.v6 ? 6 : 4;
}

// The index of ip's record, or kTcptoRecords.
size_t find(std::string_view table, IpAddress const& ip)
{
    for (size_t i = 0; i < kTcptoRecords; ++i) {
        Record r = get(table, i);
        if (r.family == family_of(ip) && r.ip == ip)
            return i;
    }
    return kTcptoRecords;
}

} // namespace

bool tcpto_should_skip(std::string_view table, IpAddress const& ip, time_t now, pid_t pid)
{
    if (table.size() != kTcptoBytes)
        return false;
    size_t i = find(table, ip);
    if (i == kTcptoRecords)
        return false;
    Record r = get(table, i);
    return r.count >= 2 && now - r.when < (60L + (pid & 31)) * 64;
}

bool tcpto_update(std::string& table, IpAddress const& ip, bool timed_out, time_t now)
{
    if (table.size() != kTcptoBytes)
        table.assign(kTcptoBytes, '\0');
    size_t i = find(table, ip);
    if (i < kTcptoRecords) {
        Record r = get(table, i);
        if (!timed_out) {
            if (r.count == 0)
                return false;
            r.count = 0;
        } else {
            if (now - r.when < kErrorSpacing)
                return false;
            if (r.count < kMaxErrors)
                ++r.count;
            r.when = now;
        }
        put(table, i, r);
        return true;
    }
    if (!timed_out)
        return false;
    size_t best = 0;
    long long best_score = 0;
    for (size_t j = 0; j < kTcptoRecords; ++j) {
        Record r = get(table, j);
        if (r.family == 0 || r.count == 0) {
            best = j;
            break;
        }
        long long score = static_cast<long long>(r.when) + r.count * 1024LL;
        if (j == 0 || score < best_score) {
            best = j;
            best_score = score;
        }
    }
    put(table, best, Record { family_of(ip), 1, ip, now });
    return true;
}

bool Tcpto::should_skip(IpAddress const& ip) const
{
    auto fd = mta::open_read(m_path);
    if (!fd || ::flock(fd->get(), LOCK_SH) == -1)
        return false;
    std::string table(kTcptoBytes, '\0');
    if (::pread(fd->get(), table.data(), table.size(), 0) != static_cast<ssize_t>(table.size()))
        return false;
    return tcpto_should_skip(table, ip, ::time(nullptr), ::getpid());
}

void Tcpto::record(IpAddress const& ip, bool timed_out) const
{
    mta::Fd fd(::open(m_path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.valid() || ::flock(fd.get(), LOCK_EX) == -1)
        return;
    std::string table(kTcptoBytes, '\0');
    ssize_t n = ::pread(fd.get(), table.data(), table.size(), 0);
    if (n < 0)
        return;
    if (static_cast<size_t>(n) != kTcptoBytes)
        table.assign(kTcptoBytes, '\0');
    if (tcpto_update(table, ip, timed_out, ::time(nullptr)))
        (void)!::pwrite(fd.get(), table.data(), table.size(), 0);
}

} // namespace remote
