#include "local_recipients.hpp"

#include "account_lookup.hpp"
#include "assign.hpp"
#include "auto_conf.hpp"
#include "cdb.hpp"
#include "control.hpp"
#include "fd.hpp"
#include "passwd_file.hpp"

#include <algorithm>
#include <cerrno>
#include <sys/stat.h>

namespace smtpd {

namespace {

// As local's safe_extension: lower case, '.' and '/' become ':'.
std::string safe_extension(std::string_view ext)
{
    std::string out = mta::assign::lowercase(ext);
    std::replace(out.begin(), out.end(), '.', ':');
    std::replace(out.begin(), out.end(), '/', ':');
    return out;
}

mta::Result<bool> exists(std::string const& path)
{
    struct stat st;
    if (::stat(path.c_str(), &st) == 0)
        return true;
    if (errno == ENOENT || errno == ENOTDIR)
        return false;
    return mta::Error::from_errno("stat");
}

// The accounts of /etc/passwd, read by lib/passwd_file: smtpd is linked statically and a
// static glibc cannot load NSS modules (getpwnam would crash). As in lspawn, the alias
// account's home is ROOT/alias whatever the passwd entry says.
class FileAccounts final : public mta::AccountSource {
public:
    FileAccounts(std::string path, std::string alias_home)
        : m_path(std::move(path))
        , m_alias_home(std::move(alias_home))
    {
    }

    mta::Result<std::optional<mta::Account>> find(std::string const& name) const override
    {
        auto found = mta::find_file_account(name, m_path);
        if (found && *found && name == mta::conf::kUserAlias)
            (*found)->home = m_alias_home;
        return found;
    }

    mta::Result<std::optional<uid_t>> directory_owner(std::string const& path) const override
    {
        struct stat st { };
        if (::stat(path.c_str(), &st) == -1) {
            if (errno == ENOENT || errno == ENOTDIR || errno == EACCES)
                return std::optional<uid_t>();
            return mta::Error::from_errno("unable to stat home directory");
        }
        return S_ISDIR(st.st_mode) ? std::optional<uid_t>(st.st_uid) : std::optional<uid_t>();
    }

private:
    std::string m_path;
    std::string m_alias_home;
};

} // namespace

bool passwd_is_files_only(std::string_view nsswitch)
{
    size_t start = 0;
    while (start < nsswitch.size()) {
        size_t end = nsswitch.find('\n', start);
        if (end == std::string_view::npos)
            end = nsswitch.size();
        std::string_view line = nsswitch.substr(start, end - start);
        start = end + 1;
        line = line.substr(0, line.find('#'));
        auto const first = line.find_first_not_of(" \t");
        if (first == std::string_view::npos || line.substr(first, 7) != "passwd:")
            continue;
        line.remove_prefix(first + 7);
        bool in_action = false;
        size_t at = 0;
        while (at < line.size()) {
            char const c = line[at];
            if (c == ' ' || c == '\t') {
                ++at;
                continue;
            }
            if (c == '[' || c == ']') {
                in_action = c == '[';
                ++at;
                continue;
            }
            size_t const word_end = line.find_first_of(" \t[]", at);
            std::string_view const word = line.substr(at, word_end - at);
            at = word_end == std::string_view::npos ? line.size() : word_end;
            if (!in_action && word != "files" && word != "systemd")
                return false;
        }
        return true;
    }
    return true; // no passwd line: glibc uses files
}

std::vector<std::string> alias_file_names(std::string_view ext)
{
    std::string const safe = safe_extension(ext);
    std::vector<std::string> out { ".qmail-" + safe };
    for (size_t i = safe.size() + 1; i-- > 0;) {
        if (i != 0 && safe[i - 1] != '-')
            continue;
        std::string name = ".qmail-" + safe.substr(0, i) + "default";
        if (name != out.front())
            out.push_back(std::move(name));
    }
    return out;
}

mta::Result<Mailbox> LocalRecipients::check(std::string_view local, std::string_view domain)
{
    if (domain.empty() || local.empty())
        return Mailbox::not_virtual;
    if (!m_locals) {
        auto lines = mta::control::read_lines(m_root + "/control/locals");
        if (!lines)
            return lines.error();
        m_locals.emplace();
        for (auto const& line : lines->value_or(std::vector<std::string> {}))
            m_locals->push_back(mta::assign::lowercase(line));
    }
    if (std::find(m_locals->begin(), m_locals->end(), mta::assign::lowercase(domain))
        == m_locals->end())
        return Mailbox::not_virtual;
    if (!m_files_only) {
        auto nsswitch = mta::read_file(m_nsswitch, 1 << 20);
        if (!nsswitch && nsswitch.error().errnum != ENOENT)
            return nsswitch.error();
        m_files_only = passwd_is_files_only(nsswitch ? *nsswitch : std::string());
    }
    if (!*m_files_only)
        return Mailbox::not_virtual; // accounts we cannot see (LDAP, NIS...): not checked
    auto users = mta::Cdb::open(m_root + "/users/cdb");
    if (!users && users.error().errnum != ENOENT)
        return users.error();
    FileAccounts const accounts(m_passwd, m_root + "/alias");
    auto delivery = mta::find_delivery(local, users ? &*users : nullptr, accounts);
    if (!delivery)
        return delivery.error();
    if (delivery->user != mta::conf::kUserAlias || delivery->dash.empty())
        return Mailbox::valid; // an account (the alias account's own address included)
    for (auto const& name : alias_file_names(delivery->ext)) {
        auto found = exists(delivery->home + "/" + name);
        if (!found)
            return found.error();
        if (*found)
            return Mailbox::valid;
    }
    return Mailbox::unknown;
}

} // namespace smtpd
