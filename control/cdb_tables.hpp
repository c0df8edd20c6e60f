// cdb_tables - the cdb tables of an install and their sources: `mailctl cdb` rebuilds them
// all, `mailctl check` reports one that is out of date with its source.
//
//     admin::VirtualStore store(root);
//     store.lock();                                    // serializes the builders
//     for (auto const& t : admin::rebuild_tables(root, store)) ...
//     for (auto const& line : admin::stale_tables(root)) ...
//
// The tables, in the order they are rebuilt:
//   users/cdb                  users/assign, as newu (lib/assign; users/assign is locked)
//   users/recipients.cdb       the virtual store, as mailctl domain|user|alias
//                              (VirtualStore::recipient_records)
//   control/morercpthosts.cdb  control/morercpthosts, as qmail-newmrh: one key per item
//                              (lib/control's list rules: trimmed, no blank or # lines),
//                              ASCII-lowercased as smtpd lowercases the host it looks up,
//                              empty values; every item a domain or .domain
//   control/tcp.NAME.cdb       each control/tcp.NAME (NAME: letters, digits, '-', '_'),
//                              as tcprules (lib/tcp_rules)
// Every table is written through lib/cdb's CdbWriter (TABLE.tmp, fsync, rename). A source
// with a syntax error leaves its table as it was; so does a missing source.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace admin {

class VirtualStore;

struct TableOutcome {
    enum class State {
        none, // neither source nor table: nothing to say
        rebuilt,
        kept, // the source is missing; the table is left as it is
        bad_source, // a syntax error in the source; the table is left as it was
        failed, // the source could not be read or the table not written
    };
    State state = State::none;
    std::string table; // relative to ROOT: "users/cdb"
    size_t keys = 0; // rebuilt: the records written
    std::string text; // kept: why; bad_source, failed: the problem (file and line)
};

// Rebuilds every table of root; store is locked by the caller.
std::vector<TableOutcome> rebuild_tables(std::string const& root, VirtualStore const& store);
// users/cdb alone (VirtualStore::rebuild uses it too).
TableOutcome rebuild_users_cdb(std::string const& root);

// One line per table that differs from what its source gives, naming the newest source
// file changed since the table was written ("users/recipients.cdb is older than
// domains/d.example/joe/.qmail-news; run mailctl cdb"), or whose source has a syntax
// error. users/cdb is left to check_users (users_check.hpp).
std::vector<std::string> stale_tables(std::string const& root);

// control/morercpthosts's keys, lowercase, in file order, each once; on a bad item, line
// (1-based, in the file) and problem name it.
struct MoreRcptHosts {
    std::vector<std::string> keys;
    size_t line = 0;
    std::string problem;
};
MoreRcptHosts parse_more_rcpthosts(std::string_view text);

} // namespace admin
