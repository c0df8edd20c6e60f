// local_recipients - the RCPT check for the domains in control/locals: would lspawn and
// local find a mailbox for local@domain? (virtual domains: RecipientTable in config.hpp)
//
//     smtpd::LocalRecipients locals(root);
//     auto box = locals.check("joe-list", "mail.example.org");  // Mailbox::valid
//
// The answer follows lib/account_lookup (users/cdb, then system accounts, then the alias
// account). A users/assign entry or a system account (also "name-anything" for the
// account "name") is valid. For the alias account the address is valid only when
// ROOT/alias holds .qmail-EXT, a .qmail-PREFIX-default for it or .qmail-default, as
// local(8) would look them up; otherwise local would bounce it: Mailbox::unknown.
// Domains that are not in control/locals (and addresses without a domain) are
// Mailbox::not_virtual: not checked here, and so is every address when nsswitch.conf
// takes accounts from anything but files (and systemd): smtpd is linked statically and
// reads /etc/passwd itself, so it cannot see LDAP or NIS accounts. Errors (unreadable locals or
// users/cdb, a failing account lookup) are temporary.
#pragma once

#include "config.hpp"
#include "error.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd {

class LocalRecipients {
public:
    // passwd and nsswitch are for tests.
    explicit LocalRecipients(std::string root, std::string passwd = "/etc/passwd",
        std::string nsswitch = "/etc/nsswitch.conf")
        : m_root(std::move(root))
        , m_passwd(std::move(passwd))
        , m_nsswitch(std::move(nsswitch))
    {
    }
    mta::Result<Mailbox> check(std::string_view local, std::string_view domain);

private:
    std::string m_root;
    std::string m_passwd;
    std::string m_nsswitch;
    std::optional<bool> m_files_only;
    std::optional<std::vector<std::string>> m_locals; // lower case, read at the first use
};

// The .qmail names local(8) tries in the alias account's home for extension ext:
// .qmail-EXT, each .qmail-PREFIX-default (longest first), .qmail-default.
std::vector<std::string> alias_file_names(std::string_view ext);

// True when the passwd line of nsswitch.conf names only files and systemd (or is absent).
bool passwd_is_files_only(std::string_view nsswitch);

} // namespace smtpd
