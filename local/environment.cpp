#include "environment.hpp"

#include <utility>
#include <vector>

namespace local {

std::string ext_after_dashes(std::string_view ext, int n)
{
    for (int i = 0; i < n; ++i) {
        auto const dash = ext.find('-');
        if (dash == std::string_view::npos)
            return "";
        ext.remove_prefix(dash + 1);
    }
    return std::string(ext);
}

std::string host_without_labels(std::string_view host, int n)
{
    for (int i = 0; i < n; ++i) {
        auto const dot = host.rfind('.');
        if (dot != std::string_view::npos)
            host = host.substr(0, dot);
    }
    return std::string(host);
}

Outcome<mta::EnvBuilder> delivery_environment(Recipient const& r, AddedLines const& lines,
    std::string_view new_sender, std::optional<std::string> const& default_part)
{
    auto env = mta::EnvBuilder::from_current();
    std::string const recipient = r.local + "@" + r.host;
    std::vector<std::pair<std::string_view, std::string>> const values = {
        { "HOST", r.host },
        { "HOME", r.home },
        { "USER", r.user },
        { "LOCAL", r.local },
        { "RECIPIENT", recipient },
        { "DTLINE", lines.dtline },
        { "SENDER", r.sender },
        { "RPLINE", lines.rpline },
        { "UFLINE", lines.ufline },
        { "EXT", r.ext },
        { "EXT2", ext_after_dashes(r.ext, 1) },
        { "EXT3", ext_after_dashes(r.ext, 2) },
        { "EXT4", ext_after_dashes(r.ext, 3) },
        { "HOST2", host_without_labels(r.host, 1) },
        { "HOST3", host_without_labels(r.host, 2) },
        { "HOST4", host_without_labels(r.host, 3) },
        { "NEWSENDER", std::string(new_sender) },
    };
    for (auto const& [name, value] : values) {
        if (auto st = env.set(name, value); !st)
            return temp_environment(st.error());
    }
    env.unset("DEFAULT");
    if (default_part) {
        if (auto st = env.set("DEFAULT", *default_part); !st)
            return temp_environment(st.error());
    }
    return env;
}

} // namespace local
