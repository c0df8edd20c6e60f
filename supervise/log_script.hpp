// log_script - multilog's script: the actions given as arguments, parsed once, and the
// pattern matcher of its +pattern and -pattern actions (daemontools 0.76 semantics).
//
//     auto script = sv::parse_script({ "t", "s100000", "n5", "-*debug*", "./main" });
//     if (!script) die(script.error().what);     // usage error: names the bad action
//     for (auto const& a : script->actions) ...
//
// Actions: `t` (first only: prefix each line with a TAI64N label and a space), `-pattern`
// and `+pattern` (deselect, select the line when pattern matches the whole line, label
// included), `e` (copy the selected line to stderr), `=file` (overwrite file with the
// line), `sSIZE` (4096..16777215, default 99999), `nNUM` (at least 2, default 10) and
// `!processor` (for the directories that follow), and `./dir` or `/dir` (append the
// selected line to a log directory). In a pattern, `*` matches any run of characters that
// does not hold the next character of the pattern; a final `*` matches the rest.
#pragma once

#include "error.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sv {

inline constexpr size_t kMatchBytes = 1000; // bytes of a line used for matching and `=`
inline constexpr size_t kDefaultSize = 99999;
inline constexpr size_t kMinSize = 4096;
inline constexpr size_t kMaxSize = 16777215;
inline constexpr unsigned kDefaultNum = 10;
inline constexpr unsigned kMinNum = 2;

enum class ActionKind { deselect, select, alert, status, directory };

struct Action {
    ActionKind kind;
    std::string text; // the pattern or the file
    size_t index = 0; // directory: index into Script::directories; status: into status_files
};

struct DirectorySettings {
    std::string path;
    size_t size = kDefaultSize;
    unsigned num = kDefaultNum;
    std::string processor; // empty: none
};

struct Script {
    bool timestamp = false;
    std::vector<Action> actions;
    std::vector<DirectorySettings> directories;
    std::vector<std::string> status_files;
};

mta::Result<Script> parse_script(std::vector<std::string> const& args);

// True when pattern matches all of line.
bool pattern_match(std::string_view pattern, std::string_view line);

} // namespace sv
