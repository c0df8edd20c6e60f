#include "queue_paths.hpp"

#include "auto_conf.hpp"

#include <charconv>

namespace mta {

namespace {

void append_number(std::string& out, unsigned long n)
{
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
    (void)ec; // 24 bytes hold every unsigned long
    out.append(buf, end);
}

} // namespace

std::string hashed_dir(std::string_view dir, unsigned long n)
{
    std::string out(dir);
    out += '/';
    append_number(out, n % static_cast<unsigned long>(mta::conf::kSplit));
    return out;
}

std::string hashed_path(std::string_view dir, unsigned long n)
{
    std::string out = hashed_dir(dir, n);
    out += '/';
    append_number(out, n);
    return out;
}

std::string flat_path(std::string_view dir, unsigned long n)
{
    std::string out(dir);
    out += '/';
    append_number(out, n);
    return out;
}

std::optional<unsigned long> parse_message_number(std::string_view text)
{
    if (text.empty())
        return std::nullopt;
    for (char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
    }
    unsigned long n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return n;
}

} // namespace mta
