// tcp_rules - tcpserver's access rules: the text tcprules reads, the cdb it writes (ucspi-tcp
// 0.88's encoding, plus CIDR keys) and the lookup tcpserver makes for each connection.
//
//     auto parsed = mta::tcp_rules::parse(text);            // pure: no I/O
//     if (!parsed.ok())
//         die("line " + std::to_string(parsed.line) + ": " + parsed.problem);
//     if (auto st = mta::tcp_rules::write_cdb("control/tcp.smtp.cdb", parsed.entries); !st) ...
//
//     auto db = mta::Cdb::open("control/tcp.smtp.cdb");
//     auto rule = mta::tcp_rules::lookup(*db, { "10.1.2.3", "mx.example.org", std::nullopt });
//     if (rule && *rule && (*rule)->deny) ...                // Result<optional<Rule>>
//
// The text: one rule a line, `address:allow` or `address:deny`, then zero or more
// `,NAME=VALUE` where VALUE is either quoted by any punctuation character (`"x y"`, `/a"b/`:
// the text up to the next such character) or unquoted (starts with a letter, digit or other
// non-punctuation byte, runs to the next ',' or the end). Blank lines and lines starting with
// '#' are skipped; blanks around a line and a CR before its LF are stripped. The address is
// split from the instructions at the first ':' that is followed by "allow" or "deny", so IPv6
// addresses need no brackets. The address forms and the cdb keys they become (1.2.3.4,
// 1.2.3., 1.2.3.10-20, 10.0.0.0/8, 2001:db8::/32, =host, =.suffix, =, info@address, empty
// for everyone else) are listed in tcp_rule_keys.hpp.
// Values, as ucspi-tcp's tcprules: "D\0" for deny (nothing for allow), then "+NAME=VALUE\0"
// for each variable. Names are [A-Za-z_][A-Za-z0-9_]* up to 128 bytes and never LD_*
// (loader variables would change the code the program runs); values hold no control
// character but tab. parse() stops at the first bad line: Parsed::line and the static
// Parsed::problem text name it.
//
// lookup() tries, and the first key present wins (ucspi-tcp 0.88's order, CIDR added at the
// prefix step): info@ip and info@=host (when info is known), ip, =host, then every shorter
// prefix of the address from the longest (tcp_rule_keys.hpp's append_network_keys: IPv4
// lengths 31..0, IPv6 127..0), then =.suffix for each dot of the host name from the left,
// "=" (when host is known), and "". IPv4 clients (v4-mapped ones included) match IPv4
// rules only; IPv6 clients IPv6 rules only. Errors: Cdb's, or Error::plain("rules value
// too big") for a value over kMaxValueBytes; items of a value that are neither "D" nor a
// valid "+NAME=VALUE" are skipped (Rule::skipped counts them), as ucspi-tcp does.
#pragma once

#include "cdb.hpp"
#include "error.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mta::tcp_rules {

inline constexpr size_t kMaxLineBytes = 8192;
inline constexpr size_t kMaxNameBytes = 128;
inline constexpr size_t kMaxValueBytes = size_t { 64 } * 1024; // a whole cdb value
inline constexpr size_t kMaxVariables = 100; // per rule

struct Entry {
    std::string key;
    std::string data; // "D\0" and/or "+NAME=VALUE\0" items
    size_t line = 0; // 1-based line number in the rules text
};

struct Parsed {
    std::vector<Entry> entries; // in file order (ranges expanded); complete only when ok()
    size_t line = 0; // the bad line, when !ok()
    char const* problem = nullptr; // static text, when !ok()
    bool ok() const { return problem == nullptr; }
};

Parsed parse(std::string_view text);

// The rules cdb at path, atomically (lib/cdb's CdbWriter: path.tmp, fsync, rename).
Status write_cdb(std::string const& path, std::vector<Entry> const& entries);

// True for a name a rule may set: [A-Za-z_][A-Za-z0-9_]*, 1..kMaxNameBytes, not LD_*.
bool valid_name(std::string_view name);

struct Client {
    std::string ip; // as tcpserver formats it: dotted quad, or RFC 5952 IPv6
    std::optional<std::string> host; // TCPREMOTEHOST, lower case
    std::optional<std::string> info; // TCPREMOTEINFO
};

struct Rule {
    std::string key; // the key that matched
    bool deny = false;
    std::vector<std::pair<std::string, std::string>> env; // in stored order
    size_t skipped = 0; // malformed items ignored
};

// The keys lookup() tries, in order.
std::vector<std::string> lookup_keys(Client const& client);
// The decoded value of a rule.
Result<Rule> decode(std::string_view key, std::string_view data);
// The first rule that applies to client; nullopt when none does.
Result<std::optional<Rule>> lookup(Cdb& db, Client const& client);

} // namespace mta::tcp_rules
