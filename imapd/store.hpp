// store - a user's mailboxes: Maildir++ folders under one Maildir (INBOX is the Maildir
// itself, mailbox "A.B" is the directory ".A.B", '.' separates hierarchy levels), LIST
// patterns, subscriptions and the special-use folders made at the first login.
//
//     imapd::Store store("/home/u/Maildir");
//     auto dir = store.dir_of("Sent");              // nullopt: not a valid name
//     if (auto st = store.create("Lists.debian"); !st) ... // EEXIST: already there
//     for (auto const& box : store.list("", "*")) ... box.name, box.attributes
//
// Errors are Result values with errno (EEXIST, ENOENT, EPERM for INBOX) so the session can
// pick the response code ([ALREADYEXISTS], [NONEXISTENT], ...).
#pragma once

#include "error.hpp"

#include <optional>
#include <string>
#include <vector>

namespace imapd {

struct ListEntry {
    std::string name;
    std::string attributes; // "\HasNoChildren \Sent"
};

class Store {
public:
    explicit Store(std::string root)
        : m_root(std::move(root))
    {
    }
    std::string const& root() const { return m_root; }
    // "INBOX" (any case) or a valid folder name -> its directory.
    std::optional<std::string> dir_of(std::string const& name) const;
    bool exists(std::string const& name) const;
    // The name as this server spells it ("inbox" -> "INBOX").
    static std::string canonical(std::string const& name);

    mta::Status create(std::string const& name);
    mta::Status remove(std::string const& name);
    mta::Status rename(std::string const& from, std::string const& to);

    // LIST reference pattern ('*' any, '%' any but '.').
    std::vector<ListEntry> list(std::string const& reference, std::string const& pattern) const;
    std::vector<std::string> subscriptions() const;
    mta::Status subscribe(std::string const& name, bool on);

    // Creates Drafts, Sent, Trash, Junk and Archive (subscribed) the first time.
    mta::Status make_special_folders();

private:
    std::vector<std::string> folder_names() const;
    std::string m_root;
};

// RFC 3501 LIST matching of a name against a pattern.
bool list_match(std::string_view name, std::string_view pattern);
// "\Sent" for the special-use names, "" otherwise.
std::string special_use(std::string_view name);

} // namespace imapd
