// tcpto - the recently-failed-host table (qmail's lock/tcpto): an address whose connects
// timed out twice lately is skipped for about an hour, so one dead host does not cost
// every delivery a connect timeout.
//
//     remote::Tcpto table(root + "/queue/lock/tcpto");
//     if (table.should_skip(ip)) continue;        // count >= 2 and the last error is recent
//     auto fd = connect_tcp(ip, port, timeout);
//     table.record(ip, !fd && fd.error().errnum == ETIMEDOUT);
//
// The file is 1024 bytes: 32 records of 32 bytes (qmail's 64 x 16 cannot hold IPv6).
// A record: bytes 0..15 the address (IPv4 in the first 4), byte 16 the family (4 or 6,
// 0 = free), byte 17 the error count (at most 10), bytes 24..31 the time of the last error
// (seconds, little-endian). qmail's rules: only a connect timeout counts as an error, at
// most once per 120 s; a successful connect or any other error resets the count of an
// existing record; a new record takes a free or zero-count slot, else the one with the
// smallest when + count * 1024. An address is skipped while count >= 2 and the last error
// is younger than (60 + (pid & 31)) * 64 s. rspawn zeroes the file when it starts.
// The table is advice: every problem with the file is ignored (the address is tried).
#pragma once

#include "net.hpp"

#include <ctime>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace remote {

inline constexpr size_t kTcptoRecords = 32;
inline constexpr size_t kTcptoRecordBytes = 32;
inline constexpr size_t kTcptoBytes = kTcptoRecords * kTcptoRecordBytes;

// The rules on the table's bytes (always kTcptoBytes long); pure.
bool tcpto_should_skip(std::string_view table, IpAddress const& ip, time_t now, pid_t pid);
// Applies one connect outcome; returns true when table changed.
bool tcpto_update(std::string& table, IpAddress const& ip, bool timed_out, time_t now);

class Tcpto {
public:
    explicit Tcpto(std::string path)
        : m_path(std::move(path))
    {
    }
    bool should_skip(IpAddress const& ip) const;
    void record(IpAddress const& ip, bool timed_out) const;

private:
    std::string m_path;
};

} // namespace remote
