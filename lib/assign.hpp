// assign - users/assign, the table that maps addresses to accounts (qmail-users(5)), its
// compiled form users/cdb (qmail-newu's encoding) and the lookup lspawn makes in it.
//
//     auto parsed = mta::assign::parse(text);              // pure: no I/O
//     if (!parsed.ok())
//         die("users/assign line " + std::to_string(parsed.line) + ": " + parsed.problem);
//     if (auto st = mta::assign::write_cdb("users/cdb", parsed.entries); !st) ...
//
//     auto users = mta::Cdb::open("users/cdb");
//     auto hit = mta::assign::lookup(*users, "Joe-List");  // Result<optional<Delivery>>
//
// The file: one entry a line, then a line holding a single "." (the end):
//     =local:user:uid:gid:homedir:dash:ext:    the address `local` exactly
//     +prefix:user:uid:gid:homedir:dash:pre:   every address that starts with `prefix`
//                                              ("+:" is the catch-all); ext = pre + rest
// parse() is as strict as qmail-newu (no blank lines, no comments, every field ends in
// ':') and stricter where qmail-newu accepts what can never deliver: the first character
// must be '=' or '+', an '=' address and the user must not be empty, uid and gid are
// decimal numbers below 2^32-1, uid 0 is refused (lspawn never delivers as root), the
// home directory is an absolute path, dash is "" or "-", nothing follows the 7th ':', the
// end line is exactly "." and only blank lines follow it (qmail-newu silently ignores
// what follows, so an entry appended after the "." would be lost). A trailing CR is
// stripped from every line. The first malformed line stops the parse: Parsed::line and a
// static Parsed::problem text name it.
//
// users/cdb, exactly as qmail-newu writes it, so tables move between the two systems:
//     '=' entry: key "!" + lowercase(local) + NUL;  '+' entry: key "!" + lowercase(prefix)
//     value "user\0uid\0gid\0homedir\0dash\0ext" (uid and gid in decimal)
//     key "" : the distinct last characters of the non-empty prefixes ("wildchars"),
//              lowercased (qmail-newu keeps their case, so in qmail a prefix ending in
//              an upper-case letter never matches; here it does)
// Several entries with the same key are all written; lookups use the first one.
//
// lookup() follows qmail-lspawn: the exact key first; else prefixes of the lowercased
// local part, longest first (the whole local part included, "" last), trying a prefix
// only when its last character is in wildchars; a wildcard hit appends the unmatched
// rest of local, in its original case, to ext. Errors are mta::Error values: Cdb's, or
// Error::plain("users/cdb has no wildcard record") / ("malformed users/cdb record") for a
// table newu did not write. ASCII case folding only, as qmail.
#pragma once

#include "cdb.hpp"
#include "error.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace mta {

// Whom a local delivery runs as and where its instructions are: qmail-local's
// user, uid, gid, home, dash and ext (the .qmail file is home/.qmail + dash + ext).
struct Delivery {
    std::string user;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string home;
    std::string dash;
    std::string ext;
};

} // namespace mta

namespace mta::assign {

inline constexpr size_t kMaxLineBytes = 8192;

struct Entry {
    bool wildcard = false; // "+prefix:..." rather than "=local:..."
    std::string local; // the address ('=') or prefix ('+') as written
    Delivery delivery; // for '+', ext holds pre
    size_t line = 0; // 1-based line number in users/assign
};

struct Parsed {
    std::vector<Entry> entries; // in file order; complete only when ok()
    size_t line = 0; // the malformed line (1-based) when !ok()
    char const* problem = nullptr; // what is wrong with it; nullptr when the file is good
    bool ok() const { return problem == nullptr; }
};

Parsed parse(std::string_view text);

// ASCII lowercase, as qmail's case_lowerb.
std::string lowercase(std::string_view s);

// Entries whose key an earlier entry already has, as (earlier line, later line): the
// later entry is never used.
std::vector<std::pair<size_t, size_t>> shadowed(std::vector<Entry> const& entries);

std::string cdb_key(Entry const& entry);
std::string cdb_value(Entry const& entry);
std::string wildchars(std::vector<Entry> const& entries);
// Every record in the order write_cdb adds them: the entries, then ("", wildchars).
std::vector<std::pair<std::string, std::string>> cdb_records(std::vector<Entry> const& entries);

// Builds the table at path atomically (lib/cdb's CdbWriter: path.tmp, fsync, rename).
Status write_cdb(std::string const& path, std::vector<Entry> const& entries);

// A users/cdb value: exactly six NUL-separated fields with decimal uid and gid.
Result<Delivery> decode(std::string_view value);

// The entry for the local part (without "@domain"); nullopt when none applies.
Result<std::optional<Delivery>> lookup(Cdb& users, std::string_view local);

} // namespace mta::assign
