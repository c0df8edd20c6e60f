#include "privs.hpp"

#include <cerrno>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>
#include <vector>

namespace mta {

namespace {

constexpr size_t kLookupBufferStart = 1024;
constexpr size_t kLookupBufferMax = 1 << 20;

// True when the process has exactly the identity uid/gid: real, effective and saved ids,
// and a supplementary group list of just {gid}.
bool has_exact_identity(uid_t uid, gid_t gid)
{
    uid_t ruid, euid, suid;
    gid_t rgid, egid, sgid;
    if (::getresuid(&ruid, &euid, &suid) == -1 || ::getresgid(&rgid, &egid, &sgid) == -1)
        return false;
    if (ruid != uid || euid != uid || suid != uid)
        return false;
    if (rgid != gid || egid != gid || sgid != gid)
        return false;
    if (::getuid() != uid || ::geteuid() != uid || ::getgid() != gid || ::getegid() != gid)
        return false;
    gid_t groups[2];
    // Two slots: a list longer than one makes getgroups fail (EINVAL) or return 2.
    int count = ::getgroups(2, groups);
    return count == 1 && groups[0] == gid;
}

// Runs a getpwnam_r-style call with a buffer that grows on ERANGE. Returns the call's
// error number (0 on success, including "not found").
template <class Call> int with_lookup_buffer(Call const& call)
{
    std::vector<char> buffer(kLookupBufferStart);
    for (;;) {
        int rc = call(buffer.data(), buffer.size());
        if (rc != ERANGE || buffer.size() >= kLookupBufferMax)
            return rc;
        buffer.resize(buffer.size() * 2);
    }
}

} // namespace

Status drop_privileges(uid_t uid, gid_t gid)
{
    if (::setgroups(1, &gid) == -1)
        return Error::from_errno("unable to set supplementary groups");
    if (::setresgid(gid, gid, gid) == -1)
        return Error::from_errno("unable to set group id");
    if (::setresuid(uid, uid, uid) == -1)
        return Error::from_errno("unable to set user id");
    if (!has_exact_identity(uid, gid))
        return Error::plain("privileges not dropped");
    // Once the saved uid is gone, nothing may bring root back.
    if (uid != 0 && (::setuid(0) != -1 || ::seteuid(0) != -1))
        return Error::plain("privileges not dropped");
    if (uid != 0 && gid != 0 && ::setegid(0) != -1)
        return Error::plain("privileges not dropped");
    return {};
}

Result<Account> lookup_account(std::string const& name)
{
    Account account;
    bool found = false;
    int rc = with_lookup_buffer([&](char* buf, size_t len) {
        passwd entry;
        passwd* result = nullptr;
        int err = ::getpwnam_r(name.c_str(), &entry, buf, len, &result);
        if (err == 0 && result) {
            found = true;
            account = Account { result->pw_name, result->pw_uid, result->pw_gid,
                result->pw_dir ? result->pw_dir : "", result->pw_shell ? result->pw_shell : "" };
        }
        return err;
    });
    if (rc != 0)
        return Error { rc, "unable to look up account" };
    if (!found)
        return Error::plain("no such account");
    return account;
}

Result<gid_t> lookup_group(std::string const& name)
{
    gid_t gid = 0;
    bool found = false;
    int rc = with_lookup_buffer([&](char* buf, size_t len) {
        group entry;
        group* result = nullptr;
        int err = ::getgrnam_r(name.c_str(), &entry, buf, len, &result);
        if (err == 0 && result) {
            found = true;
            gid = result->gr_gid;
        }
        return err;
    });
    if (rc != 0)
        return Error { rc, "unable to look up group" };
    if (!found)
        return Error::plain("no such group");
    return gid;
}

} // namespace mta
