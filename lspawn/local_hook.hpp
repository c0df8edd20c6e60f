// local_hook - lspawn's half of the spawner (the driver is lib/spawn_driver.hpp): for one
// recipient, find the account that receives its mail and run local's delivery as that
// account in a forked child; turn its exit into K/Z/D (qmail-lspawn's spawn() and report()).
//
//     lspawn::AliasHome accounts(root);                 // the alias account's home: ROOT/alias
//     lspawn::LocalHook hook(root, default_delivery, accounts);
//     mta::serve_spawner(hook, options);
//
// The child is not exec'd: it runs local/run.hpp's local::run in lspawn's image (fork
// without exec, as rspawn does for remote), with what exec of ROOT/bin/local would have
// given it: the account's uid, gid and no other groups, its home as cwd, the message on
// fd 0, the output pipe on fd 1 and 2 and no other descriptor, the delivery environment,
// no blocked signals and every signal lspawn catches at its default action. It is named
// "local" (/proc/PID/comm) and is not dumpable (no ptrace, no /proc/PID/mem by the
// recipient). docs/INTERNALS.md, "local deliveries: fork without exec".
//
// start() never fails: a problem before local runs is a Z result naming it (the empty
// local part, the trash address, is a K without a delivery). report() maps local's exit:
// 0 K; 111, 71, 74, 75 Z; 120 (the child could not start) Z; 100 and every other code D;
// a signal Z "local crashed."; the letter is followed by local's output up to its first
// NUL.
#pragma once

#include "account_lookup.hpp"
#include "process.hpp"
#include "spawn_driver.hpp"

#include <csignal>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lspawn {

// local part and domain of a recipient, split at its last '@' (the domain is empty when
// there is none).
std::pair<std::string, std::string> split_recipient(std::string const& recipient);

// local's argument vector for a delivery (qmail-lspawn's order; argv[0] is ROOT/bin/local,
// the program that would run the same delivery).
std::vector<std::string> local_arguments(std::string const& root, mta::Delivery const& d,
    std::string const& local, std::string const& domain, std::string const& sender,
    std::string const& default_delivery);

// The result for local's exit status and output.
std::string report_local(mta::ExitStatus status, std::string_view output);

// The result for a failed account lookup (find_delivery's errors, all temporary).
std::string report_lookup_failure(mta::Error error);

// The system accounts, except that the alias account's home is ROOT/alias, the tree this
// lspawn belongs to, whatever its passwd entry says (one account serves every install
// on a host, tests included).
class AliasHome : public mta::AccountSource {
public:
    explicit AliasHome(std::string root, mta::AccountSource const& base = mta::system_accounts())
        : m_alias_home(std::move(root) + "/alias")
        , m_base(base)
    {
    }
    mta::Result<std::optional<mta::Account>> find(std::string const& name) const override;
    mta::Result<std::optional<uid_t>> directory_owner(std::string const& path) const override;

private:
    std::string m_alias_home;
    mta::AccountSource const& m_base;
};

// What a delivery child runs once it is the recipient, with local's argument vector; its
// value is the child's exit code. run_local (local::run) unless a test gives another.
using LocalBody = std::function<int(std::vector<std::string> const& argv)>;
int run_local(std::vector<std::string> const& argv);

// The signals this process catches (a handler: neither SIG_DFL nor SIG_IGN). Asking
// costs a system call per signal (45 us for all on our VM), so the hook asks once, when
// it is made (lspawn sets no handler later; the sanitizers set theirs before main).
sigset_t caught_signals();

// In a forked child: make the signal state what execve leaves (the caught signals back to
// SIG_DFL, SIGPIPE too, as Child::spawn sets it; ignored ones stay ignored), name the
// process "local" and make it not dumpable. Child::run has already unblocked signals,
// closed the other descriptors and set credentials, cwd and environ.
void become_local_process(sigset_t const& caught);

class LocalHook : public mta::SpawnHook {
public:
    LocalHook(std::string root, std::string default_delivery, mta::AccountSource const& accounts,
        LocalBody body = run_local)
        : m_root(std::move(root))
        , m_default_delivery(std::move(default_delivery))
        , m_accounts(accounts)
        , m_env(mta::delivery_environment())
        , m_body(std::move(body))
        , m_caught(caught_signals())
    {
    }

    Started start(int message_fd, std::string const& sender, std::string const& recipient,
        int output_fd) override;
    std::string report(mta::ExitStatus status, std::string_view output) override
    {
        return report_local(status, output);
    }

private:
    // find_delivery with users/cdb opened afresh (newu's changes count at once).
    mta::Result<mta::Delivery> find(std::string const& local) const;

    std::string m_root;
    std::string m_default_delivery;
    mta::AccountSource const& m_accounts;
    std::vector<std::string> m_env; // local's whole environment
    LocalBody m_body;
    sigset_t m_caught; // reset in every delivery child
};

} // namespace lspawn
