// env_dir - envdir's reading of a directory of variables (daemontools semantics): each
// file not starting with `.` names a variable; an empty file removes it, otherwise its
// value is the first line with trailing spaces and tabs removed and NUL bytes turned
// into newlines.
//
//     auto changes = sv::read_env_dir("./env");
//     if (!changes) die(changes.error());          // "unable to read" with errno
//     for (auto const& c : *changes) c.value ? setenv(...) : unsetenv(...);
#pragma once

#include "error.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sv {

struct EnvChange {
    std::string name;
    std::optional<std::string> value; // nullopt: unset
};

// The value a file's content gives (nullopt for an empty file).
std::optional<std::string> env_value(std::string_view content);

mta::Result<std::vector<EnvChange>> read_env_dir(std::string const& dir);

} // namespace sv
