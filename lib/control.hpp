// control - qmail-style control files: one value per file, or one item per line
// (modelled on qmail's control.c).
//
//     auto me = mta::control::read_line("control/me");
//     if (!me) return me.error();                  // unreadable, or a line too long
//     std::string host = me->value_or("localhost"); // missing file: the default
//
//     auto hosts = mta::control::read_lines("control/rcpthosts");
//     auto timeout = mta::control::read_int("control/timeoutsmtpd");
//
// Rules, applied identically everywhere:
//   - a missing file (ENOENT) is not an error: the result is std::nullopt and the caller
//     applies the documented default; any other failure to open or read (EACCES, EISDIR,
//     ENOTDIR, EIO) is an error with its errno;
//   - read_line takes the first line only and strips trailing blanks (space, tab, CR,
//     LF, VT, FF); leading blanks are kept, as in qmail. An empty file gives "";
//   - read_lines gives one item per line, each trimmed of leading and trailing blanks
//     (so CRLF files work); blank lines and lines whose first non-blank character is '#'
//     are skipped; a last line without LF counts;
//   - read_int is stricter than qmail (which takes the leading digits): the trimmed
//     first line must be an optional '+' or '-' followed by decimal digits and nothing
//     else, so "", "12k" and "1 000" are "not a number";
//   - a line longer than kMaxLineBytes (not counting its LF) is "line too long", and a
//     list file bigger than kMaxFileBytes is "file too big" (EFBIG): memory use is
//     bounded whatever the file holds.
// Errors are mta::Error values; texts: "line too long", "file too big", "not a number",
// "number out of range", or lib/fd's "unable to open for reading"/"unable to read".
//
// The parse_* functions hold all the rules and do no I/O (they are also the fuzz target
// fuzz/control_fuzz.cpp); the read_* functions only add the bounded file reading.
#pragma once

#include "error.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mta::control {

inline constexpr size_t kMaxLineBytes = 8192;
inline constexpr size_t kMaxFileBytes = size_t { 4 } * 1024 * 1024;

// The first line of content (up to the first LF), trailing blanks stripped.
Result<std::string> parse_first_line(std::string_view content);
// The items of a list file: trimmed, without blank and comment lines.
Result<std::vector<std::string>> parse_lines(std::string_view content);
// A whole trimmed text as a decimal integer.
Result<long long> parse_int(std::string_view text);

Result<std::optional<std::string>> read_line(std::string const& path);
Result<std::optional<std::vector<std::string>>> read_lines(std::string const& path);
Result<std::optional<long long>> read_int(std::string const& path);

} // namespace mta::control
