#include "envelope.hpp"

#include "exit_codes.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <string>

using namespace queue;
using namespace std::string_literals;

namespace {

struct Copy {
    int code;
    std::string out;
};

// Runs copy_envelope over `input` served in small pieces; the copy goes to a string.
Copy run(std::string const& input, EnvelopeLimits const& limits = {}, bool write_fails = false)
{
    size_t pos = 0;
    mta::Reader in(-1, 0, [&](int, void* buf, size_t len) -> ssize_t {
        size_t n = std::min({ len, input.size() - pos, size_t { 777 } });
        std::memcpy(buf, input.data() + pos, n);
        pos += n;
        return static_cast<ssize_t>(n);
    });
    Copy result { 0, "" };
    mta::Writer out(-1, 0, [&](int, void const* buf, size_t len) -> ssize_t {
        if (write_fails) {
            errno = ENOSPC;
            return -1;
        }
        result.out.append(static_cast<char const*>(buf), len);
        return static_cast<ssize_t>(len);
    });
    result.code = copy_envelope(in, out, limits);
    if (result.code == 0 && !out.flush())
        result.code = mta::kQueueWriteError;
    return result;
}

std::string many_recipients(size_t n)
{
    std::string s = "Fs@example.org\0"s;
    for (size_t i = 0; i < n; ++i)
        s += "Tr" + std::to_string(i) + "@example.net" + '\0';
    return s + '\0';
}

} // namespace

TEST_CASE("a well-formed envelope is copied record by record", "[queue][envelope]")
{
    struct Case {
        std::string input;
        std::string want;
    };
    Case const cases[] = {
        { "Fa@b\0Tc@d\0Te@f\0\0"s, "Fa@b\0Tc@d\0Te@f\0"s },
        { "F\0\0"s, "F\0"s }, // empty sender, no recipients: qmail accepts it
        { "F\0T\0\0"s, "F\0T\0"s }, // an empty recipient is passed on as qmail does
        { "Fa@b\0Tc@d\0\0trailing bytes are not read"s, "Fa@b\0Tc@d\0"s },
        { "F\xff\x01\n\0T 8-bit \r\n\0\0"s, "F\xff\x01\n\0T 8-bit \r\n\0"s },
    };
    for (auto const& c : cases) {
        INFO("input " << c.input);
        Copy got = run(c.input);
        CHECK(got.code == 0);
        CHECK(got.out == c.want);
    }
}

TEST_CASE("envelope format errors are exit 91", "[queue][envelope]")
{
    std::string const long_x = std::string(2000, 'x');
    std::string const inputs[] = {
        "Xa@b\0\0"s, // first record not F
        "\0"s, // no sender record at all
        "Ta@b\0\0"s,
        "Fa@b\0Xc@d\0\0"s, // recipient record not T
        "Fa@b\0Fc@d\0\0"s,
        "X" + long_x + '\0', // wrong type wins over length
        "Fa@b\0"s + "X" + long_x + '\0',
    };
    for (auto const& input : inputs) {
        INFO("input " << input.substr(0, 40));
        CHECK(run(input).code == mta::kQueueEnvelopeFormat);
    }
}

TEST_CASE("addresses of up to 1002 bytes pass, 1003 is exit 11", "[queue][envelope]")
{
    std::string const ok(1002, 'a');
    std::string const too_long(1003, 'a');
    CHECK(run("F" + ok + '\0' + "T" + ok + '\0' + '\0').code == 0);
    CHECK(run("F" + ok + '\0' + "T" + ok + '\0' + '\0').out.size() == size_t { 2 } * 1004);
    CHECK(run("F" + too_long + '\0' + '\0').code == mta::kQueueAddressTooLong);
    CHECK(run("Fa\0T"s + too_long + '\0' + '\0').code == mta::kQueueAddressTooLong);
    CHECK(run("Fa\0T"s + std::string(100000, 'b') + '\0' + '\0').code == mta::kQueueAddressTooLong);
    EnvelopeLimits small;
    small.max_address = 5;
    CHECK(run("Fabcde\0\0"s, small).code == 0);
    CHECK(run("Fabcdef\0\0"s, small).code == mta::kQueueAddressTooLong);
}

TEST_CASE("more than 10,000 recipients is exit 31", "[queue][envelope]")
{
    Copy ok = run(many_recipients(10000));
    CHECK(ok.code == 0);
    CHECK(std::count(ok.out.begin(), ok.out.end(), '\0') == 10001);
    CHECK(run(many_recipients(10001)).code == mta::kQueuePermRefusal);
    EnvelopeLimits small;
    small.max_recipients = 2;
    CHECK(run(many_recipients(2), small).code == 0);
    CHECK(run(many_recipients(3), small).code == mta::kQueuePermRefusal);
}

TEST_CASE("end of input before the final NUL is exit 54", "[queue][envelope]")
{
    std::string const inputs[] = {
        ""s,
        "F"s,
        "Fa@b"s,
        "Fa@b\0"s,
        "Fa@b\0Tc@d"s,
        "Fa@b\0Tc@d\0"s,
    };
    for (auto const& input : inputs) {
        INFO("input " << input);
        CHECK(run(input).code == mta::kQueueReadError);
    }
}

TEST_CASE("read and write errors are 54 and 53", "[queue][envelope]")
{
    mta::Reader in(-1, 0, [](int, void*, size_t) -> ssize_t {
        errno = EIO;
        return -1;
    });
    mta::Writer sink(-1, 0, [](int, void const*, size_t len) { return ssize_t(len); });
    CHECK(copy_envelope(in, sink) == mta::kQueueReadError);
    // A copy bigger than the writer's buffer fails while copying, a small one at flush.
    CHECK(run(many_recipients(5000), {}, true).code == mta::kQueueWriteError);
    CHECK(run("Fa\0\0"s, {}, true).code == mta::kQueueWriteError);
}
