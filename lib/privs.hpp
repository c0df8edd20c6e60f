// privs - account lookups and a verified, irreversible privilege drop (qmail's
// prot_gid/prot_uid and set_ugid, OpenSMTPD's setgroups/setresgid/setresuid + checks).
//
//     auto account = mta::lookup_account(mta::conf::kUserDaemon);
//     if (!account) return account.error();       // "no such account" has errnum 0
//     auto group = mta::lookup_group(mta::conf::kGroupNofiles);
//     if (!group) return group.error();
//     if (auto st = mta::drop_privileges(account->uid, *group); !st)
//         return st.error();                      // the caller must not go on
//
// Errors are Result values. A name that does not exist is Error::plain("no such account")
// or ("no such group") with errnum 0, a permanent condition; a failing lookup (NSS down,
// out of memory) carries the lookup's errno and is usually temporary. drop_privileges()
// reports the failing system call with errno, or Error::plain("privileges not dropped") when
// the calls succeeded but the process does not have exactly the requested identity.
#pragma once

#include "error.hpp"

#include <string>
#include <sys/types.h>

namespace mta {

struct Account {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string home;
    std::string shell;
};

// Sets the supplementary groups to {gid}, then real, effective and saved gid and uid, and
// verifies all of them, the group list, and (uid != 0) that setuid(0) now fails. Needs
// root (a process that is not root gets EPERM from setgroups). Allocates nothing and makes
// only async-signal-safe calls, so it may run between fork() and exec.
Status drop_privileges(uid_t uid, gid_t gid);

// getpwnam_r: uid, primary gid, home directory and shell of an account.
Result<Account> lookup_account(std::string const& name);

// getgrnam_r: the gid of a group.
Result<gid_t> lookup_group(std::string const& name);

} // namespace mta
