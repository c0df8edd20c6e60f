// domain_names - test helper: valid domain names of a chosen length, for the length-limit
// tests of lib/address and lib/domain.
//
//     std::string name = mta::test::domain_of(255); // labels of 62 'd's joined by dots
#pragma once

#include <cstddef>
#include <string>

namespace mta::test {

// A valid domain name of exactly n bytes (n >= 1).
inline std::string domain_of(std::size_t n)
{
    std::string out;
    while (n - out.size() > 63)
        out += std::string(62, 'd') + ".";
    out += std::string(n - out.size(), 'd');
    return out;
}

} // namespace mta::test
