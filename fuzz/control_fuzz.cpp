// control_fuzz - libFuzzer target for the control-file parsers (lib/control.hpp).
//
//     make fuzz && cp -r fuzz/corpus/control /tmp/corpus &&
//         build-fuzz/control_fuzz -max_total_time=60 /tmp/corpus
//
// Feeds the input to parse_first_line, parse_lines and parse_int and checks what they
// promise: bounded, trimmed results and errors with the documented texts. A broken
// promise aborts, which libFuzzer reports as a crash.
#include "control.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

constexpr std::string_view kBlanks = " \t\r\n\v\f";

void require(bool condition)
{
    if (!condition)
        std::abort();
}

bool is_error(mta::Error const& e, std::string_view text)
{
    return e.errnum == 0 && std::string_view(e.what) == text;
}

void check_first_line(std::string_view in)
{
    auto line = mta::control::parse_first_line(in);
    if (!line) {
        require(is_error(line.error(), "line too long"));
        return;
    }
    require(line->size() <= mta::control::kMaxLineBytes);
    require(line->find('\n') == std::string::npos);
    require(line->empty() || kBlanks.find(line->back()) == std::string_view::npos);
    require(in.substr(0, line->size()) == *line);
}

void check_lines(std::string_view in)
{
    auto items = mta::control::parse_lines(in);
    if (!items) {
        require(
            is_error(items.error(), "line too long") || is_error(items.error(), "file too big"));
        return;
    }
    for (auto const& item : *items) {
        require(!item.empty() && item.size() <= mta::control::kMaxLineBytes);
        require(item.front() != '#' && item.find('\n') == std::string::npos);
        require(kBlanks.find(item.front()) == std::string_view::npos);
        require(kBlanks.find(item.back()) == std::string_view::npos);
        require(in.find(item) != std::string_view::npos);
    }
}

void check_int(std::string_view in)
{
    auto value = mta::control::parse_int(in);
    if (!value) {
        require(is_error(value.error(), "not a number")
            || is_error(value.error(), "number out of range"));
        return;
    }
    // A parsed number prints and parses back to itself.
    auto again = mta::control::parse_int(std::to_string(*value));
    require(again.ok() && *again == *value);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(uint8_t const* data, size_t size)
{
    std::string_view const in(reinterpret_cast<char const*>(data), size);
    check_first_line(in);
    check_lines(in);
    check_int(in);
    return 0;
}
