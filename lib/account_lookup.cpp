#include "account_lookup.hpp"

#include "auto_conf.hpp"

#include <cerrno>
#include <sys/stat.h>

namespace mta {

namespace {

class SystemAccounts final : public AccountSource {
public:
    Result<std::optional<Account>> find(std::string const& name) const override
    {
        using Found = std::optional<Account>;
        auto account = lookup_account(name);
        if (account)
            return Found(std::move(*account));
        int const err = account.error().errnum;
        // getpwnam_r(3): 0, ENOENT, ESRCH, EBADF and EPERM all mean "no such name".
        if (err == 0 || err == ENOENT || err == ESRCH || err == EBADF || err == EPERM)
            return Found();
        return account.error();
    }

    Result<std::optional<uid_t>> directory_owner(std::string const& path) const override
    {
        using Found = std::optional<uid_t>;
        struct stat st { };
        if (::stat(path.c_str(), &st) == -1) {
            if (is_temporary(errno))
                return Error::from_errno("unable to stat home directory");
            return Found();
        }
        if (!S_ISDIR(st.st_mode))
            return Found();
        return Found(st.st_uid);
    }
};

// True when the account may receive mail: it is not root, and its home is a directory
// that it owns.
Result<bool> owns_home(Account const& account, AccountSource const& accounts)
{
    if (account.uid == 0)
        return false;
    auto owner = accounts.directory_owner(account.home);
    if (!owner)
        return owner.error();
    return owner->has_value() && **owner == account.uid;
}

} // namespace

AccountSource const& system_accounts()
{
    static SystemAccounts const accounts;
    return accounts;
}

Result<std::optional<Delivery>> find_system_account(
    std::string_view local, AccountSource const& accounts)
{
    using Found = std::optional<Delivery>;
    // end: the length of the candidate name; the whole local part first.
    for (size_t end = local.size() + 1; end-- > 0;) {
        if (end < local.size() && local[end] != kExtensionBreak)
            continue;
        if (end > kMaxUserName)
            continue;
        auto account = accounts.find(assign::lowercase(local.substr(0, end)));
        if (!account)
            return account.error();
        if (!*account)
            continue;
        auto owns = owns_home(**account, accounts);
        if (!owns)
            return owns.error();
        if (!*owns)
            continue;
        Account& a = **account;
        bool const has_ext = end < local.size();
        return Found(Delivery { std::move(a.name), a.uid, a.gid, std::move(a.home),
            has_ext ? "-" : "", std::string(has_ext ? local.substr(end + 1) : "") });
    }
    return Found();
}

Result<Delivery> find_delivery(std::string_view local, Cdb* users, AccountSource const& accounts)
{
    std::optional<Delivery> found;
    if (users) {
        auto hit = assign::lookup(*users, local);
        if (!hit)
            return hit.error();
        found = std::move(*hit);
    }
    if (!found) {
        auto system = find_system_account(local, accounts);
        if (!system)
            return system.error();
        found = std::move(*system);
    }
    if (!found) {
        auto alias = accounts.find(conf::kUserAlias);
        if (!alias)
            return alias.error();
        if (!*alias)
            return Error::plain("no alias account");
        Account& a = **alias;
        found = Delivery { std::move(a.name), a.uid, a.gid, std::move(a.home), "-",
            std::string(local) };
    }
    if (found->uid == 0)
        return Error::plain("not allowed to deliver as root");
    return std::move(*found);
}

} // namespace mta
