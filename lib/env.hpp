// env - read this process's environment and build environments for children (qmail's
// env_get, and the env list qmail-local hands to delivery programs).
//
//     std::string remote_ip = mta::env_or("TCPREMOTEIP", "unknown");
//     auto env = mta::EnvBuilder::keep_from_current({ "PATH", "TZ" });
//     if (auto st = env.set("SENDER", sender); !st) return st.error();
//     options.env = env.entries();                // for mta::Child::spawn
//
// Looking up an unset variable is not an error (std::optional). EnvBuilder::set refuses a
// name that is empty or holds '=' or NUL, and a value that holds NUL (exec would cut it
// short): Error::plain("invalid environment variable").
#pragma once

#include "error.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mta {

// The value of a variable of this process. The view points into the environment and is
// valid until the variable is changed (setenv/putenv/unsetenv).
std::optional<std::string_view> env_get(char const* name);

// The value, or fallback when the variable is unset. A set but empty variable is "".
std::string env_or(char const* name, std::string_view fallback);

// An ordered set of NAME=VALUE entries; set() replaces an entry in place.
class EnvBuilder {
public:
    // Starts empty.
    EnvBuilder() = default;
    // Starts with every variable of this process.
    static EnvBuilder from_current();
    // Starts with those of the names that are set in this process, in the given order.
    static EnvBuilder keep_from_current(std::vector<std::string_view> const& names);

    Status set(std::string_view name, std::string_view value);
    void unset(std::string_view name);
    std::optional<std::string_view> get(std::string_view name) const;

    // "NAME=VALUE" strings, as SpawnOptions::env takes them.
    std::vector<std::string> const& entries() const { return m_entries; }

private:
    std::vector<std::string>::iterator find(std::string_view name);
    std::vector<std::string>::const_iterator find(std::string_view name) const;

    std::vector<std::string> m_entries;
};

} // namespace mta
