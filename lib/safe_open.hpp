// safe_open - open files that live in directories other users can write (home
// directories, mail spools), refusing the tricks a user could play with them: symbolic
// links, hard links to someone else's file, fifos and devices, files others can write.
// Modelled on Postfix's safe_open() and qmail-local's .qmail checks.
//
//     mta::SafeOpenRules rules;
//     rules.owner = account.uid;                   // .qmail must belong to the user
//     auto fd = mta::safe_open_read(account.home + "/.qmail", rules);
//     if (!fd && fd.error().errnum == ENOENT) ...  // no .qmail file: the default
//     if (!fd) return fd.error();                  // e.g. "is writable by others"
//
// Errors are Result values. System failures carry errno ("unable to stat", "unable to
// open"; ENOENT when the file does not exist). A refusal is Error::plain (errnum 0) with a
// text naming the reason: "is a symbolic link", "not a regular file", "has more than one
// link", "wrong owner", "is writable by others", "directory is writable by others",
// "file changed while opening". Refusals name a setup the user can repair, so a delivery
// program should defer (exit 111) rather than bounce, as qmail-local does.
//
// Every check is made on the opened descriptor (fstat), which is compared with an lstat()
// of the path by device and inode, so a file swapped in between is caught. The path's last
// component is never followed if it is a symbolic link (O_NOFOLLOW); earlier components
// are followed.
#pragma once

#include "error.hpp"
#include "fd.hpp"

#include <optional>
#include <string>
#include <sys/types.h>

namespace mta {

struct SafeOpenRules {
    std::optional<uid_t> owner; // the file must belong to this uid
    bool refuse_group_writable = false; // refuse mode g+w
    bool refuse_world_writable = true; // refuse mode o+w
    bool require_single_link = true; // refuse st_nlink != 1
    // Refuse when the containing directory is world-writable without the sticky bit
    // (anyone could replace the file there).
    bool check_directory = false;
    // safe_open_append only: create a missing file (O_CREAT|O_EXCL) with this mode.
    std::optional<mode_t> create_mode;
};

// O_RDONLY. The descriptor is blocking and close-on-exec.
Result<Fd> safe_open_read(std::string const& path, SafeOpenRules const& rules);

// O_WRONLY|O_APPEND for mailbox (mbox) delivery; no O_CREAT unless rules.create_mode.
Result<Fd> safe_open_append(std::string const& path, SafeOpenRules const& rules);

} // namespace mta
