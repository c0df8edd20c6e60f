#include "env_dir.hpp"

#include "fd.hpp"

#include <algorithm>

namespace sv {

namespace {

constexpr size_t kMaxValueBytes = 256UL * 1024;

} // namespace

std::optional<std::string> env_value(std::string_view content)
{
    if (content.empty())
        return std::nullopt;
    std::string value(content.substr(0, content.find('\n')));
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
        value.pop_back();
    std::replace(value.begin(), value.end(), '\0', '\n');
    return value;
}

mta::Result<std::vector<EnvChange>> read_env_dir(std::string const& dir)
{
    auto names = mta::list_directory(dir);
    if (!names)
        return names.error();
    std::vector<EnvChange> out;
    for (auto const& name : *names) {
        if (name[0] == '.')
            continue;
        if (name.find('=') != std::string::npos)
            return mta::Error::plain("a file name holds =");
        auto content = mta::read_file(dir + "/" + name, kMaxValueBytes);
        if (!content)
            return content.error();
        out.push_back({ name, env_value(*content) });
    }
    return out;
}

} // namespace sv
