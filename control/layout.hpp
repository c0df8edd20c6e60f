// layout - the installed tree as one table (like qmail's hier.c): every directory, file,
// fifo and program under ROOT with its owner, group and mode. `instdir` applies the
// table (make install) and `mailctl check` compares the tree against it, so the two
// can never disagree.
//
//     for (auto const& entry : admin::tree_layout())
//         for (auto const& problem : admin::check_entry(root, entry, ids))
//             print(problem);
//
// apply_entry() returns a Status naming the failed step; check_entry() returns one
// human-readable line per difference ("queue/mess: owner root, want msq").
//
// A Link entry is a symbolic link (bin/mailq -> sendmail): its target is compared, its
// mode is not (a link has none of its own), and applying it never changes the mode of
// the file it points to.
#pragma once

#include "error.hpp"

#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace admin {

enum class Kind { Directory, File, Fifo, Program, Link };

struct Entry {
    Kind kind;
    std::string path; // relative to ROOT
    std::string owner;
    std::string group;
    mode_t mode;
    size_t zero_bytes = 0; // File: created holding this many NUL bytes
    std::string target = {}; // Link: what the symbolic link points to ("sendmail")
    // Directory: ask the file system to place the directories made in it apart (ext2/3/4's
    // top-of-hierarchy flag, FS_TOPDIR_FL; nothing elsewhere). Set on the queue and its
    // hashed directories: files are allocated in their directory's block group, and
    // without this every queue file comes from one or two groups.
    bool spread = false;
};

// Directories, files and fifos of an install (programs excluded).
std::vector<Entry> tree_layout();
// bin/NAME for each program, with the special owners and modes (setuid queue), and
// the links bin/mailq and bin/newaliases -> sendmail when sendmail is among them. Those
// link names in `programs` (a listing of bin/) are not programs and are skipped.
std::vector<Entry> program_layout(std::vector<std::string> const& programs);

// Account and group names resolved to ids, looked up once each.
class Ids {
public:
    mta::Result<uid_t> uid(std::string const& name);
    mta::Result<gid_t> gid(std::string const& name);

private:
    std::map<std::string, uid_t> m_uids;
    std::map<std::string, gid_t> m_gids;
};

// Creates or repairs one entry. Existing files keep their contents (configuration and
// queued mail survive a reinstall); programs are replaced atomically from source_dir.
// Ownership is set only when running as root.
mta::Status apply_entry(
    std::string const& root, Entry const& entry, Ids& ids, std::string const& source_dir);

// The differences between the tree and one entry, one line each. Owners are compared
// only when check_owners is set (an install made by root).
std::vector<std::string> check_entry(
    std::string const& root, Entry const& entry, Ids& ids, bool check_owners);

std::string mode_text(mode_t mode); // "0750"

} // namespace admin
