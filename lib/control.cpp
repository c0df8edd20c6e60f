#include "control.hpp"

#include "fd.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <unistd.h>

namespace mta::control {

namespace {

constexpr std::string_view kBlanks = " \t\r\n\v\f";

std::string_view trim_trailing(std::string_view s)
{
    auto end = s.find_last_not_of(kBlanks);
    return end == std::string_view::npos ? std::string_view() : s.substr(0, end + 1);
}

std::string_view trim(std::string_view s)
{
    auto begin = s.find_first_not_of(kBlanks);
    if (begin == std::string_view::npos)
        return {};
    return trim_trailing(s.substr(begin));
}

// Splits off the line at the front of rest (without its LF) and advances rest past it.
std::string_view next_line(std::string_view& rest)
{
    auto lf = rest.find('\n');
    std::string_view line = rest.substr(0, lf);
    rest.remove_prefix(lf == std::string_view::npos ? rest.size() : lf + 1);
    return line;
}

bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

// The bytes of path up to and including the first LF, but never more than limit bytes.
// nullopt when the file does not exist.
Result<std::optional<std::string>> read_head(std::string const& path, size_t limit)
{
    auto fd = open_read(path);
    if (!fd) {
        if (fd.error().errnum == ENOENT)
            return std::optional<std::string>();
        return fd.error();
    }
    std::string out(limit, '\0');
    size_t have = 0;
    while (have < limit) {
        ssize_t n = ::read(fd->get(), out.data() + have, limit - have);
        if (n == 0)
            break;
        if (n == -1) {
            if (errno == EINTR)
                continue;
            return Error::from_errno("unable to read");
        }
        bool has_lf = std::memchr(out.data() + have, '\n', static_cast<size_t>(n)) != nullptr;
        have += static_cast<size_t>(n);
        if (has_lf)
            break;
    }
    out.resize(have);
    return std::optional<std::string>(std::move(out));
}

} // namespace

Result<std::string> parse_first_line(std::string_view content)
{
    std::string_view line = next_line(content);
    if (line.size() > kMaxLineBytes)
        return Error::plain("line too long");
    return std::string(trim_trailing(line));
}

Result<std::vector<std::string>> parse_lines(std::string_view content)
{
    if (content.size() > kMaxFileBytes)
        return Error::plain("file too big");
    std::vector<std::string> items;
    while (!content.empty()) {
        std::string_view line = next_line(content);
        if (line.size() > kMaxLineBytes)
            return Error::plain("line too long");
        line = trim(line);
        if (line.empty() || line.front() == '#')
            continue;
        items.emplace_back(line);
    }
    return items;
}

Result<long long> parse_int(std::string_view text)
{
    std::string_view t = trim(text);
    std::string_view digits = t;
    if (!digits.empty() && (digits.front() == '+' || digits.front() == '-'))
        digits.remove_prefix(1);
    if (digits.empty())
        return Error::plain("not a number");
    for (char c : digits) {
        if (!is_digit(c))
            return Error::plain("not a number");
    }
    // from_chars takes '-' but not '+'.
    std::string_view number = t.front() == '+' ? digits : t;
    long long value = 0;
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec == std::errc::result_out_of_range)
        return Error::plain("number out of range");
    if (ec != std::errc() || end != number.data() + number.size())
        return Error::plain("not a number");
    return value;
}

Result<std::optional<std::string>> read_line(std::string const& path)
{
    // One byte more than a line may hold tells a too-long line from a full one.
    auto head = read_head(path, kMaxLineBytes + 1);
    if (!head)
        return head.error();
    if (!*head)
        return std::optional<std::string>();
    auto line = parse_first_line(**head);
    if (!line)
        return line.error();
    return std::optional<std::string>(std::move(*line));
}

Result<std::optional<std::vector<std::string>>> read_lines(std::string const& path)
{
    using Items = std::optional<std::vector<std::string>>;
    auto content = read_file(path, kMaxFileBytes);
    if (!content) {
        if (content.error().errnum == ENOENT)
            return Items();
        return content.error();
    }
    auto items = parse_lines(*content);
    if (!items)
        return items.error();
    return Items(std::move(*items));
}

Result<std::optional<long long>> read_int(std::string const& path)
{
    auto line = read_line(path);
    if (!line)
        return line.error();
    if (!*line)
        return std::optional<long long>();
    auto value = parse_int(**line);
    if (!value)
        return value.error();
    return std::optional<long long>(*value);
}

} // namespace mta::control
