// account_lookup - who receives the mail for a local part, the question lspawn asks
// before it runs local: users/cdb first, then the system accounts by qmail-getpw's
// rules, then the alias account.
//
//     auto users = mta::Cdb::open("users/cdb");    // ENOENT: pass nullptr (no table)
//     auto d = mta::find_delivery("Joe-List", users ? &*users : nullptr);
//     if (!d) return temporary_failure(d.error()); // every error here is temporary
//     run_local(d->user, d->uid, d->gid, d->home, d->dash, d->ext);
//
// The steps, for a local part L (the part before the last '@'; lspawn handles the empty
// one, the trash address, before asking):
//   1. users/cdb, when given: assign::lookup (exact entry, else the longest wildcard).
//   2. System accounts (qmail-getpw): candidate names are L and each prefix of L that
//      ends just before a '-', longest first, shorter than 32 bytes, ASCII-lowercased. A
//      candidate is that user when the account exists, its uid is not 0, and its home
//      directory exists, is a directory and is owned by that uid; otherwise the next
//      candidate is tried. The whole L gives dash "" and ext ""; "name-rest" gives dash
//      "-" and ext "rest" in L's original case. user is the account's own name.
//   3. The alias account (conf::kUserAlias) with dash "-" and ext L, so the address is
//      steered by ~alias/.qmail-L or ~alias/.qmail-default.
// A result with uid 0 is refused whatever its source (root never receives mail).
//
// Errors are mta::Error values and all mean "try again later" to lspawn: the Cdb and
// assign::lookup errors; "unable to look up account" with the lookup's errno (a
// failing NSS source must not send mail to the alias account); "unable to stat home
// directory" with a temporary errno (qmail's NFS case; a missing home only skips the
// candidate); Error::plain("no alias account"); Error::plain("not allowed to deliver
// as root").
//
// AccountSource is the seam for tests: system_accounts() reads the passwd database
// (getpwnam_r) and the file system (stat); tests pass a fake.
#pragma once

#include "assign.hpp"
#include "cdb.hpp"
#include "error.hpp"
#include "privs.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace mta {

class AccountSource {
public:
    virtual ~AccountSource() = default;
    // The account called name; nullopt when there is none.
    virtual Result<std::optional<Account>> find(std::string const& name) const = 0;
    // The owner of path when it is a directory; nullopt when it does not exist or is not
    // a directory (or stat fails for a reason that is not temporary).
    virtual Result<std::optional<uid_t>> directory_owner(std::string const& path) const = 0;
};

AccountSource const& system_accounts();

// qmail's conf-break and GETPW_USERLEN - 1.
inline constexpr char kExtensionBreak = '-';
inline constexpr size_t kMaxUserName = 31;

// Step 2 alone: nullopt when no system account matches.
Result<std::optional<Delivery>> find_system_account(
    std::string_view local, AccountSource const& accounts);

// Steps 1 to 3; users may be nullptr (no users/cdb).
Result<Delivery> find_delivery(
    std::string_view local, Cdb* users, AccountSource const& accounts = system_accounts());

} // namespace mta
