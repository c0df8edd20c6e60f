// virtual_store - the files behind virtual domains, users and aliases (docs/accounts.md),
// read and changed by `mailctl domain|user|alias`.
//
//     admin::VirtualStore store(root);             // takes the users/ lock
//     auto domains = store.domains();              // from control/virtualdomains
//     store.add_domain("example.org");             // throws nothing; returns Status
//     store.rebuild();                             // users/cdb and users/recipients.cdb
//
// What a domain D is (the vpopmail model on qmail's own mechanisms):
//   control/rcpthosts            D
//   control/virtualdomains       D:msvmail-D        (send routes u@D to msvmail-D-u@D)
//   users/assign                 +msvmail-D-:msvmail:UID:GID:ROOT/domains/D:-::
//   domains/D/                   owner msvmail, mode 0700: local's home for the domain
//   domains/D/.qmail-default     |ROOT/bin/vdeliver CATCHALL   (bounce, discard, or an
//                                 account of D that gets everything else)
//   domains/D/.qmail-NAME        an alias: one "&address" line per target
//   domains/D/USER/Maildir/      a user's mailbox; USER/.qmail* are the user's own
//   users/passwd                 USER@D:HASH (owner msp, mode 0400)
//   users/recipients.cdb         every valid address; see rebuild()
// Names are lowercased. Failures are Problem values with the whole text.
#pragma once

#include "error.hpp"

#include <optional>
#include <string>
#include <sys/types.h>
#include <variant>
#include <vector>

namespace admin {

// A failure with its whole text (mta::Error holds static texts only).
struct Problem {
    std::string text;
};
struct Ok { };

template <class T> class Outcome {
public:
    Outcome()
        : m_value(T {})
    {
    }
    Outcome(T value)
        : m_value(std::move(value))
    {
    }
    Outcome(Problem problem)
        : m_value(std::move(problem))
    {
    }
    explicit operator bool() const { return m_value.index() == 0; }
    T& operator*() { return std::get<0>(m_value); }
    T const& operator*() const { return std::get<0>(m_value); }
    T* operator->() { return &std::get<0>(m_value); }
    T const* operator->() const { return &std::get<0>(m_value); }
    std::string const& problem() const { return std::get<1>(m_value).text; }

private:
    std::variant<T, Problem> m_value;
};
using Step = Outcome<Ok>;

// A user or alias name: 1-64 of [a-z0-9._-], not starting with '.' or '-', no "..", not
// "default" nor ending in "-default" (those are .qmail file names). Lowercases name.
mta::Status check_local_part(std::string& name);
// The domain, lowercased, checked with mta::check_domain (no address literals).
mta::Status check_virtual_domain(std::string& domain);

struct Catchall {
    enum class Kind { bounce, discard, deliver } kind = Kind::bounce;
    std::string account; // deliver: the user of the same domain
};
// "bounce", "discard" or "deliver USER" (the vdeliver arguments), and back.
std::optional<Catchall> parse_catchall(std::vector<std::string> const& words);
std::string catchall_text(Catchall const& c);

struct UserInfo {
    std::string address;
    std::string maildir;
    unsigned long long bytes = 0;
    unsigned long messages = 0;
    bool has_password = false;
};

class VirtualStore {
public:
    explicit VirtualStore(std::string root);

    // Exclusive lock on ROOT/users for the lifetime of the process.
    Step lock();

    Outcome<std::vector<std::string>> domains() const;
    bool has_domain(std::string const& domain) const;
    Step add_domain(std::string const& domain);
    Step remove_domain(std::string const& domain);

    Outcome<Catchall> catchall(std::string const& domain) const;
    Step set_catchall(std::string const& domain, Catchall const& c);

    Outcome<std::vector<std::string>> users(std::string const& domain) const;
    bool has_user(std::string const& local, std::string const& domain) const;
    // Creates domains/D/USER/Maildir and the users/passwd line (hash "!" = locked).
    Step add_user(std::string const& local, std::string const& domain, std::string const& hash);
    Step set_hash(std::string const& address, std::string const& hash);
    Step remove_user(std::string const& local, std::string const& domain);
    Outcome<UserInfo> user_info(std::string const& local, std::string const& domain) const;

    // name -> targets
    Outcome<std::vector<std::pair<std::string, std::vector<std::string>>>> aliases(
        std::string const& domain) const;
    bool has_alias(std::string const& local, std::string const& domain) const;
    Step set_alias(std::string const& local, std::string const& domain,
        std::vector<std::string> const& targets);
    Step remove_alias(std::string const& local, std::string const& domain);

    // Rebuilds users/cdb from users/assign and users/recipients.cdb from the domains,
    // then asks a running send to reread virtualdomains (SIGHUP).
    Step rebuild();

    // The records of users/recipients.cdb (key, kind), in the order they are written.
    Outcome<std::vector<std::pair<std::string, std::string>>> recipient_records() const;
    // Writes users/recipients.cdb (CdbWriter: .tmp, fsync, rename); the number of keys.
    Outcome<size_t> write_recipients() const;
    // SIGHUP to a running send (found through queue/lock/sendmutex); nothing when none runs.
    void notify_send() const;

    std::string domain_dir(std::string const& domain) const;
    std::string user_dir(std::string const& local, std::string const& domain) const;

private:
    Step edit_lines(std::string const& rel, std::string const& line, bool add) const;
    Step edit_assign(std::string const& domain, bool add) const;
    Step make_owned_dir(std::string const& path) const;
    Step write_owned_file(std::string const& path, std::string const& text) const;

    std::string m_root;
    uid_t m_uid;
    gid_t m_gid;
    int m_lock = -1;
};

} // namespace admin
