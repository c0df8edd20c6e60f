// dot_qmail - finding a recipient's .qmail file and parsing its delivery instructions,
// as qmail-local does (dot-qmail(5)).
//
//     auto found = local::find_dot_qmail("-", "List-Foo");   // in the current directory
//     if (!found) return found.failure();                    // e.g. "writable" (111)
//     if (!*found) ...                                       // none: default or "no mailbox"
//     auto lines = local::parse_dot_qmail((*found)->content, (*found)->forward_only);
//     if (!lines) return lines.failure();
//     for (auto const& i : *lines) ... i.kind, i.text
//
// Lookup: the extension is lowercased and '.' (and '/') become ':' ("safe extension").
// ".qmail" + dash + safeext is tried first, then the -default files from the most to the
// least specific: for ext a-b-c, .qmail-a-b-default, .qmail-a-default, .qmail-default.
// A name that is not a regular file counts as absent; EACCES, EPERM and temporary errors
// are failures (111); a world-writable file is a failure (111). With an empty dash only
// ".qmail" is tried.
//
// Parsing (a pure function): lines end at LF; trailing spaces, tabs and CRs are removed;
// the first byte decides: '#' comment, '|' program, '.' or '/' a file (Maildir when it
// ends in '/', else mbox), '&' forward to the rest, "+list" makes the following lines
// forward-only (other '+' lines are ignored), anything else forwards to the whole line.
// Blank lines are skipped, except a blank first line, which is a failure. Failures are
// all temporary (the user can repair the file): see failure.hpp.
#pragma once

#include "failure.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace local {

inline constexpr size_t kMaxDotQmailBytes = 1024 * 1024;
inline constexpr size_t kMaxLineBytes = 8192; // without the LF
inline constexpr size_t kMaxInstructions = 10000; // deliveries and forwards of one file

enum class Kind { program, forward, maildir, mbox };

struct Instruction {
    Kind kind;
    std::string text; // the command without '|', the address without '&', the path
    size_t line = 0; // 1-based line number in the file
    bool operator==(Instruction const&) const = default;
};

// forward_only: the file has its owner-execute bit set (program and file lines refused).
Outcome<std::vector<Instruction>> parse_dot_qmail(std::string_view content, bool forward_only);

// The extension as it appears in file names: lowercased, '.' and '/' turned into ':'.
std::string safe_extension(std::string_view ext);

struct Candidate {
    std::string name; // e.g. ".qmail-list-default"
    // Where in the extension the part that "default" stands for starts (env DEFAULT), if
    // the name ends in "default".
    std::optional<size_t> default_at;
    bool operator==(Candidate const&) const = default;
};

// The names to try, in order (pure).
std::vector<Candidate> candidate_names(std::string_view dash, std::string_view safeext);

struct DotQmail {
    std::string name; // the file that was used
    std::string content;
    bool forward_only = false; // owner-execute bit
    std::optional<std::string> default_part; // the value of DEFAULT, from ext's own case
};

// Looks in the current directory; nullopt when no candidate exists.
Outcome<std::optional<DotQmail>> find_dot_qmail(std::string_view dash, std::string_view ext);

} // namespace local
