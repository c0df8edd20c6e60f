#include "service_status.hpp"

#include "fd.hpp"

#include <charconv>
#include <cstdint>
#include <fcntl.h>
#include <unistd.h>

namespace mta {

namespace {

constexpr uint64_t kTai64Unix = (uint64_t { 1 } << 62) + 10;

void put_big_endian(std::string& out, uint64_t value, int bytes)
{
    for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8)
        out += static_cast<char>((value >> shift) & 0xff);
}

uint64_t get_big_endian(std::string_view in)
{
    uint64_t value = 0;
    for (char c : in)
        value = value << 8 | static_cast<unsigned char>(c);
    return value;
}

} // namespace

std::string encode_status(ServiceStatus const& status)
{
    std::string out;
    out.reserve(kStatusSize);
    put_big_endian(out, kTai64Unix + static_cast<uint64_t>(status.changed.tv_sec), 8);
    put_big_endian(out, static_cast<uint64_t>(status.changed.tv_nsec), 4);
    auto pid = static_cast<uint32_t>(status.pid);
    for (int i = 0; i < 4; ++i, pid >>= 8)
        out += static_cast<char>(pid & 0xff);
    out += status.paused ? '\1' : '\0';
    out += status.want;
    return out;
}

Result<ServiceStatus> decode_status(std::string_view bytes)
{
    if (bytes.size() < kStatusSize)
        return Error::plain("bad format");
    ServiceStatus out;
    out.changed.tv_sec = static_cast<time_t>(get_big_endian(bytes.substr(0, 8)) - kTai64Unix);
    out.changed.tv_nsec = static_cast<long>(get_big_endian(bytes.substr(8, 4)) % 1000000000);
    uint32_t pid = 0;
    for (int i = 3; i >= 0; --i)
        pid = pid << 8 | static_cast<unsigned char>(bytes[12 + static_cast<size_t>(i)]);
    out.pid = static_cast<pid_t>(pid);
    out.paused = bytes[16] != 0;
    out.want = bytes[17];
    return out;
}

std::string describe_status(ServiceStatus const& status, bool normally_up, time_t now)
{
    std::string out;
    if (status.pid != 0)
        out = "up (pid " + std::to_string(status.pid) + ") ";
    else
        out = "down ";
    time_t const seconds = now > status.changed.tv_sec ? now - status.changed.tv_sec : 0;
    out += std::to_string(seconds) + " seconds";
    if (status.pid != 0 && !normally_up)
        out += ", normally down";
    if (status.pid == 0 && normally_up)
        out += ", normally up";
    if (status.pid != 0 && status.paused)
        out += ", paused";
    if (status.pid == 0 && status.want == 'u')
        out += ", want up";
    if (status.pid != 0 && status.want == 'd')
        out += ", want down";
    return out;
}

Result<ServiceStatus> read_status(std::string const& dir)
{
    auto bytes = read_file(dir + "/supervise/status", 4096);
    if (!bytes)
        return bytes.error();
    return decode_status(*bytes);
}

Result<bool> supervise_running(std::string const& dir)
{
    std::string const path = dir + "/supervise/ok";
    int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd == -1) {
        if (errno == ENXIO || errno == ENOENT)
            return false;
        return Error::from_errno("unable to open supervise/ok");
    }
    ::close(fd);
    return true;
}

Status send_control(std::string const& dir, std::string_view commands)
{
    std::string const path = dir + "/supervise/control";
    int raw = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (raw == -1) {
        if (errno == ENXIO)
            return Error { ENXIO, "supervise not running" };
        return Error::from_errno("unable to open supervise/control");
    }
    Fd fd(raw);
    if (auto st = set_nonblocking(fd.get(), false); !st)
        return st;
    if (auto st = write_all(fd.get(), commands); !st)
        return st;
    return fd.close();
}

std::optional<unsigned long> read_restarts(std::string const& dir)
{
    auto text = read_file(dir + "/supervise/restarts", 64);
    if (!text)
        return std::nullopt;
    unsigned long value = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc())
        return std::nullopt;
    (void)end;
    return value;
}

} // namespace mta
