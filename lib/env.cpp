#include "env.hpp"

#include <algorithm>
#include <cstdlib>

extern char** environ;

namespace mta {

namespace {

bool valid_name(std::string_view name)
{
    return !name.empty() && name.find('=') == std::string_view::npos
        && name.find('\0') == std::string_view::npos;
}

// True when entry is "name=...".
bool entry_has_name(std::string_view entry, std::string_view name)
{
    return entry.size() > name.size() && entry.compare(0, name.size(), name) == 0
        && entry[name.size()] == '=';
}

} // namespace

std::optional<std::string_view> env_get(char const* name)
{
    char const* value = std::getenv(name);
    if (!value)
        return std::nullopt;
    return std::string_view(value);
}

std::string env_or(char const* name, std::string_view fallback)
{
    auto value = env_get(name);
    return std::string(value ? *value : fallback);
}

EnvBuilder EnvBuilder::from_current()
{
    EnvBuilder env;
    for (char** entry = environ; entry && *entry; ++entry) {
        std::string_view text(*entry);
        auto eq = text.find('=');
        if (eq == std::string_view::npos || eq == 0)
            continue; // not NAME=VALUE: a child could not use it either
        if (env.find(text.substr(0, eq)) == env.m_entries.end())
            env.m_entries.emplace_back(text);
    }
    return env;
}

EnvBuilder EnvBuilder::keep_from_current(std::vector<std::string_view> const& names)
{
    EnvBuilder env;
    for (auto name : names) {
        if (!valid_name(name))
            continue;
        std::string key(name);
        if (auto value = env_get(key.c_str()))
            (void)env.set(name, *value);
    }
    return env;
}

Status EnvBuilder::set(std::string_view name, std::string_view value)
{
    if (!valid_name(name) || value.find('\0') != std::string_view::npos)
        return Error::plain("invalid environment variable");
    std::string entry;
    entry.reserve(name.size() + 1 + value.size());
    entry.append(name).append(1, '=').append(value);
    if (auto it = find(name); it != m_entries.end())
        *it = std::move(entry);
    else
        m_entries.push_back(std::move(entry));
    return {};
}

void EnvBuilder::unset(std::string_view name)
{
    if (auto it = find(name); it != m_entries.end())
        m_entries.erase(it);
}

std::optional<std::string_view> EnvBuilder::get(std::string_view name) const
{
    auto it = find(name);
    if (it == m_entries.end())
        return std::nullopt;
    return std::string_view(*it).substr(name.size() + 1);
}

std::vector<std::string>::iterator EnvBuilder::find(std::string_view name)
{
    return std::find_if(m_entries.begin(), m_entries.end(),
        [&](std::string const& entry) { return entry_has_name(entry, name); });
}

std::vector<std::string>::const_iterator EnvBuilder::find(std::string_view name) const
{
    return std::find_if(m_entries.begin(), m_entries.end(),
        [&](std::string const& entry) { return entry_has_name(entry, name); });
}

} // namespace mta
