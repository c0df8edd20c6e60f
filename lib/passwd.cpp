#include "passwd.hpp"
#include "assign.hpp"

#include <crypt.h>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace mta::passwd {

namespace {

// A valid yescrypt setting that no stored hash uses: the work done for an unknown user.
constexpr const char* kDummySetting = "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$";

} // namespace

Result<std::vector<Entry>> parse(std::string_view text, size_t* bad_line)
{
    std::vector<Entry> out;
    size_t number = 0;
    while (!text.empty()) {
        ++number;
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (line.empty())
            continue;
        size_t colon = line.find(':');
        std::string_view address = line.substr(0, colon);
        size_t at = address.find('@');
        if (colon == std::string_view::npos || at == 0 || at == std::string_view::npos
            || at + 1 == address.size() || address.find('@', at + 1) != std::string_view::npos) {
            if (bad_line)
                *bad_line = number;
            return Error::plain("malformed users/passwd line");
        }
        std::string_view after = line.substr(colon + 1);
        size_t next = after.find(':');
        Entry e { assign::lowercase(address), std::string(after.substr(0, next)), "" };
        if (next != std::string_view::npos)
            e.rest = std::string(after.substr(next + 1));
        out.push_back(std::move(e));
    }
    return out;
}

std::string format(std::vector<Entry> const& entries)
{
    std::string out;
    for (auto const& e : entries) {
        out += e.address + ":" + e.hash;
        if (!e.rest.empty())
            out += ":" + e.rest;
        out += "\n";
    }
    return out;
}

Entry const* find(std::vector<Entry> const& entries, std::string_view address)
{
    std::string const key = assign::lowercase(address);
    for (auto const& e : entries)
        if (e.address == key)
            return &e;
    return nullptr;
}

Result<std::string> hash_password(std::string_view password)
{
    if (password.find('\0') != std::string_view::npos)
        return Error::plain("password holds a NUL byte");
    char* setting = ::crypt_gensalt_ra("$y$", 0, nullptr, 0);
    if (!setting)
        return Error::from_errno("unable to make a salt");
    std::unique_ptr<char, decltype(&std::free)> setting_owner(setting, &std::free);
    auto data = std::make_unique<crypt_data>();
    std::string const phrase(password);
    char* out = ::crypt_r(phrase.c_str(), setting, data.get());
    if (!out || out[0] != '$')
        return Error::from_errno("unable to hash the password");
    std::string hash = out;
    std::memset(data.get(), 0, sizeof(crypt_data));
    return hash;
}

bool equal_constant_time(std::string_view a, std::string_view b)
{
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (size_t i = 0; i < b.size(); ++i) {
        unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
        diff |= static_cast<unsigned char>(x ^ static_cast<unsigned char>(b[i]));
    }
    return diff == 0;
}

bool verify(std::string_view password, std::string_view hash)
{
    bool const usable = !hash.empty() && hash[0] == '$' && password.size() <= kMaxPasswordBytes
        && password.find('\0') == std::string_view::npos;
    std::string const setting = usable ? std::string(hash) : std::string(kDummySetting);
    std::string const phrase(password.substr(0, kMaxPasswordBytes));
    auto data = std::make_unique<crypt_data>();
    char const* out = ::crypt_r(phrase.c_str(), setting.c_str(), data.get());
    std::string const result = out ? out : "";
    std::memset(data.get(), 0, sizeof(crypt_data));
    bool const same = equal_constant_time(result, setting);
    return usable && same && !result.empty() && result[0] == '$';
}

} // namespace mta::passwd
