// number - a whole string as a decimal number (std::from_chars without its loose ends).
//
//     auto port = mta::parse_decimal<unsigned>("2525");     // 2525
//     mta::parse_decimal<unsigned long>("12 ")              // nullopt: trailing bytes
//
// Digits only for unsigned types (a leading '-' is allowed for signed ones); no '+', no
// white space, no empty string; a value out of T's range is nullopt.
#pragma once

#include <charconv>
#include <optional>
#include <string_view>
#include <system_error>

namespace mta {

template <class T> std::optional<T> parse_decimal(std::string_view text)
{
    T value {};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

} // namespace mta
