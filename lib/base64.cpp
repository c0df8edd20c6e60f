#include "base64.hpp"

#include <algorithm>
#include <array>
#include <cstddef>

namespace mta {

namespace {

constexpr std::string_view kAlphabet
    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int value_of(char c)
{
    auto const at = kAlphabet.find(c);
    return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

} // namespace

std::optional<std::string> decode_base64(std::string_view text)
{
    if (text.size() % 4 != 0)
        return std::nullopt;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        std::array<unsigned, 4> v {};
        int pad = 0;
        for (std::size_t k = 0; k < 4; ++k) {
            char const c = text[i + k];
            if (c == '=' && i + 4 == text.size() && k >= 2) {
                ++pad;
                continue;
            }
            int const value = value_of(c);
            if (pad > 0 || value < 0)
                return std::nullopt; // data after padding, or not base64
            v[k] = static_cast<unsigned>(value);
        }
        unsigned const bits = v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3];
        out += static_cast<char>(bits >> 16 & 0xff);
        if (pad < 2)
            out += static_cast<char>(bits >> 8 & 0xff);
        if (pad < 1)
            out += static_cast<char>(bits & 0xff);
    }
    return out;
}

std::string encode_base64(std::string_view bytes)
{
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        std::size_t const n = std::min<std::size_t>(3, bytes.size() - i);
        unsigned bits = 0;
        for (std::size_t k = 0; k < 3; ++k)
            bits = bits << 8 | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
        out += kAlphabet[bits >> 18 & 63];
        out += kAlphabet[bits >> 12 & 63];
        out += n > 1 ? kAlphabet[bits >> 6 & 63] : '=';
        out += n > 2 ? kAlphabet[bits & 63] : '=';
    }
    return out;
}

} // namespace mta
