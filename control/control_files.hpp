// control_files - what every control file may hold, for `mailctl check`: the table of
// known files (name, kind of value, range) and a validator per kind.
//
//     for (auto const& problem : admin::check_control_files(root)) print(problem);
//
// Each problem is one line naming the file and, for list files, the line
// ("control/databytes: not a number: 12x", "control/locals: line 3: bad domain: a..b").
// Unknown files are ignored unless their name is a likely misspelling of a known one
// ("control/rcpthost: unknown control file; did you mean rcpthosts?").
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace admin {

enum class ValueKind {
    Host, // one host name or [IP] literal
    DomainList, // one domain per line
    RcptHostList, // one domain per line, .domain for subdomains
    Integer, // one decimal integer within [min, max]
    LocalPart, // one local part (no @, no blanks)
    Text, // one non-empty line
    VirtualDomains, // [user@]domain:prefix, .suffix:prefix, :prefix
    SmtpRoutes, // domain:relay[:port]
    BadMailFrom, // user@domain or @domain
    Services, // SERVICE=ADDR:PORT (see services.hpp)
    AuthSenders, // login:address or login:@domain (smtpd, docs/smtp.md)
};

struct ControlFile {
    const char* name;
    ValueKind kind;
    long long min = 0;
    long long max = 0;
};

std::vector<ControlFile> const& known_control_files();
ControlFile const* find_control_file(std::string_view name);

// The problem with one item of a list file of that kind (without "line N: "); "" when
// there is none.
std::string check_item(ValueKind kind, std::string_view item);

// Problems with one file's content (already read), without the "control/NAME: " prefix.
std::vector<std::string> validate_control_content(
    ControlFile const& file, std::string_view content);

// Every problem in ROOT/control: contents, modes and owners, typos, a missing `me`.
std::vector<std::string> check_control_files(std::string const& root, bool check_owners);

// Damerau-free Levenshtein distance, for "did you mean".
size_t edit_distance(std::string_view a, std::string_view b);

} // namespace admin
