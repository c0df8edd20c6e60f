#include "option_scan.hpp"

#include <string_view>

namespace mta {

bool at_option_cluster(int argc, char const* const* argv, int& i)
{
    if (i >= argc)
        return false;
    std::string_view const arg = argv[i];
    if (arg == "--") {
        ++i;
        return false;
    }
    return arg.size() >= 2 && arg[0] == '-';
}

} // namespace mta
