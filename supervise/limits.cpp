#include "limits.hpp"

#include "number.hpp"
#include "option_scan.hpp"

#include <cstring>
#include <string_view>
#include <sys/resource.h>

namespace sv {

namespace {

struct Option {
    char letter;
    std::vector<int> resources;
};

std::vector<Option> const& options()
{
    static std::vector<Option> const table = {
        { 'm', { RLIMIT_DATA, RLIMIT_STACK, RLIMIT_MEMLOCK, RLIMIT_AS } },
        { 'a', { RLIMIT_AS } },
        { 'd', { RLIMIT_DATA } },
        { 's', { RLIMIT_STACK } },
        { 'l', { RLIMIT_MEMLOCK } },
        { 'f', { RLIMIT_FSIZE } },
        { 'c', { RLIMIT_CORE } },
        { 'o', { RLIMIT_NOFILE } },
        { 'p', { RLIMIT_NPROC } },
        { 'r', { RLIMIT_RSS } },
        { 't', { RLIMIT_CPU } },
    };
    return table;
}

Option const* find_option(char letter)
{
    for (auto const& o : options())
        if (o.letter == letter)
            return &o;
    return nullptr;
}

} // namespace

mta::Result<ParsedLimits> parse_limits(int argc, char const* const* argv)
{
    ParsedLimits out;
    int i = 1;
    for (; mta::at_option_cluster(argc, argv, i); ++i) {
        std::string_view arg = argv[i];
        Option const* option = find_option(arg[1]);
        if (!option)
            return mta::Error::plain("unknown option");
        std::string_view value = arg.substr(2);
        if (value.empty()) {
            if (++i >= argc)
                return mta::Error::plain("option needs a value");
            value = argv[i];
        }
        LimitSetting setting { 0 };
        if (value == "=") {
            setting.to_hard = true;
        } else {
            auto number = mta::parse_decimal<decltype(setting.value)>(value);
            if (!number)
                return mta::Error::plain("a limit must be a number or =");
            setting.value = *number;
        }
        for (int resource : option->resources) {
            setting.resource = resource;
            out.limits.push_back(setting);
        }
    }
    if (i >= argc)
        return mta::Error::plain("no program given");
    out.child = i;
    return out;
}

mta::Status apply_limits(std::vector<LimitSetting> const& limits)
{
    for (auto const& l : limits) {
        struct rlimit r { };
        if (::getrlimit(l.resource, &r) == -1)
            return mta::Error::from_errno("getrlimit failed");
        if (l.to_hard)
            r.rlim_cur = r.rlim_max;
        else
            r.rlim_cur = l.value > r.rlim_max ? r.rlim_max : static_cast<rlim_t>(l.value);
        if (::setrlimit(l.resource, &r) == -1)
            return mta::Error::from_errno("setrlimit failed");
    }
    return {};
}

} // namespace sv
