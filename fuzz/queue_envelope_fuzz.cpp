// queue_envelope_fuzz - libFuzzer target for the queue program's envelope reader
// (queue/envelope.hpp), which runs setuid msq on bytes any local account writes, and for
// clean's request parser (queue/clean.hpp).
//
//     make fuzz && cp -r fuzz/corpus/queue_envelope /tmp/corpus &&
//         build-fuzz/queue_envelope_fuzz -max_total_time=60 /tmp/corpus
//
// The first byte picks small limits (so that they are reached), the rest is fd 1, served
// in pieces of a size the first byte also picks. Checked promises: the result is 0 or one
// of the documented exit codes; on 0 the copy is exactly the input up to its final NUL,
// without that NUL, and every copied record is at most max_address + 1 bytes and starts
// with F (the first) or T; on 11 some record was too long, on 31 there were too many T
// records. parse_request accepts exactly "foop/" or "todo/" and digits, 6 to 99 bytes.
#include "../queue/clean.hpp"
#include "../queue/envelope.hpp"

#include "exit_codes.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace {

void require(bool condition)
{
    if (!condition)
        __builtin_trap();
}

void check_copy(std::string_view input, std::string const& out, queue::EnvelopeLimits limits)
{
    require(out.size() < input.size());
    require(input.substr(0, out.size()) == out);
    require(input[out.size()] == '\0');
    size_t records = 0;
    for (size_t at = 0; at < out.size(); ++records) {
        size_t end = out.find('\0', at);
        require(end != std::string::npos);
        require(end - at >= 1 && end - at <= limits.max_address + 1);
        require(out[at] == (records == 0 ? 'F' : 'T'));
        at = end + 1;
    }
    require(records >= 1 && records <= limits.max_recipients + 1);
}

void check_request(std::string_view text)
{
    auto request = queue::parse_request(text);
    bool const shape = text.size() >= 6 && text.size() <= 99
        && (text.substr(0, 5) == "foop/" || text.substr(0, 5) == "todo/")
        && text.find_first_not_of("0123456789", 5) == std::string_view::npos;
    if (request)
        require(shape);
    else
        require(!shape || text.size() - 5 > 19); // only an overflowing number is refused
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(uint8_t const* data, size_t size)
{
    if (size == 0)
        return 0;
    queue::EnvelopeLimits limits;
    limits.max_address = 1 + data[0] % 16;
    limits.max_recipients = data[0] % 5;
    size_t const piece = 1 + data[0] % 7;
    std::string_view const input(reinterpret_cast<char const*>(data) + 1, size - 1);

    size_t pos = 0;
    mta::Reader in(-1, 0, [&](int, void* buf, size_t len) -> ssize_t {
        size_t n = std::min({ len, input.size() - pos, piece });
        std::memcpy(buf, input.data() + pos, n);
        pos += n;
        return static_cast<ssize_t>(n);
    });
    std::string out;
    mta::Writer writer(-1, 0, [&](int, void const* buf, size_t len) -> ssize_t {
        out.append(static_cast<char const*>(buf), len);
        return static_cast<ssize_t>(len);
    });
    int const code = queue::copy_envelope(in, writer, limits);
    require(writer.flush().ok());
    switch (code) {
    case 0:
        check_copy(input, out, limits);
        break;
    case mta::kQueueAddressTooLong:
    case mta::kQueuePermRefusal:
    case mta::kQueueEnvelopeFormat:
    case mta::kQueueReadError:
        require(out.size() <= input.size());
        break;
    default:
        require(false);
    }
    check_request(input);
    return 0;
}
