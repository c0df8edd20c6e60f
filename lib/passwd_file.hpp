// passwd_file - system accounts read from /etc/passwd itself (fgetpwent_r), without NSS,
// for the programs that are linked statically (smtpd, queue): a static glibc cannot load
// NSS modules, so getpwnam_r (lib/privs lookup_account) does not work there.
//
//     auto found = mta::find_file_account("msd");               // Result<optional<Account>>
//     if (!found) return found.error();                          // unreadable file
//     if (*found) use((*found)->uid);                            // nullopt: no such account
//
//     auto ids = mta::find_file_accounts({ "msalias", "msd" });  // one pass for several
//
// Only the file is read: accounts that nsswitch.conf takes from elsewhere (LDAP, NIS, sss)
// are not seen, so a caller that must see them checks nsswitch.conf's passwd line first
// (smtpd does). The first entry with the name wins, as for getpwnam. Errors: "unable to
// open passwd file" and "unable to read passwd file" with errno; a line longer than 1 MiB
// is an error (ERANGE). Lines fgetpwent_r cannot parse are skipped.
#pragma once

#include "error.hpp"
#include "privs.hpp"

#include <optional>
#include <string>
#include <vector>

namespace mta {

inline constexpr char kSystemPasswdFile[] = "/etc/passwd";

// The account called name in the passwd-format file path; nullopt when there is none.
Result<std::optional<Account>> find_file_account(
    std::string const& name, std::string const& path = kSystemPasswdFile);

// The accounts called names[i], found in one pass over path: element i is nullopt when
// there is no such account.
Result<std::vector<std::optional<Account>>> find_file_accounts(
    std::vector<std::string> const& names, std::string const& path = kSystemPasswdFile);

} // namespace mta
