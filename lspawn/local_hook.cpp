#include "local_hook.hpp"

#include "../local/run.hpp"
#include "auto_conf.hpp"
#include "cdb.hpp"
#include "exit_codes.hpp"
#include "log.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <sys/prctl.h>

namespace lspawn {

namespace {

constexpr char const* kRootRefused = "ZNot allowed to perform deliveries as root.\n";
constexpr char const* kNoAlias = "ZUnable to find alias user!\n";
// What an empty local part (the trash address "@domain") gets: nothing to deliver.
constexpr char const* kTrash = "KEmpty local part: nothing to deliver.\n";

// The texts of Cdb's and assign::lookup's errors: a problem with users/cdb.
bool is_users_cdb_error(mta::Error const& e)
{
    for (char const* what : { "unable to open for reading", "unable to map cdb",
             "unable to read cdb", "corrupt cdb file", "users/cdb has no wildcard record",
             "malformed users/cdb record" }) {
        if (std::strcmp(e.what, what) == 0)
            return true;
    }
    return false;
}

std::string temporary(std::string_view what, mta::Error const& e)
{
    return "Z" + std::string(what) + ": " + e.text() + ". (#4.3.0)\n";
}

bool is_caught(struct sigaction const& action)
{
    return (action.sa_flags & SA_SIGINFO) != 0
        || (action.sa_handler != SIG_DFL && action.sa_handler != SIG_IGN);
}

// The delivery child's whole life: noexcept, so that nothing can unwind out of it into
// the fork in lspawn's loop (an escaping exception is std::terminate, a crash: "Z").
int run_child(
    std::vector<std::string> const& argv, LocalBody const& body, sigset_t const& caught) noexcept
{
    become_local_process(caught);
    return mta::run_main("local", [&] { return body(argv); });
}

} // namespace

int run_local(std::vector<std::string> const& argv)
{
    return local::run(argv);
}

sigset_t caught_signals()
{
    sigset_t caught;
    sigemptyset(&caught);
    for (int sig = 1; sig < NSIG; ++sig) {
        struct sigaction action { };
        // The numbers glibc keeps for itself fail (EINVAL).
        if (::sigaction(sig, nullptr, &action) == 0 && is_caught(action))
            sigaddset(&caught, sig);
    }
    return caught;
}

void become_local_process(sigset_t const& caught)
{
    struct sigaction reset { };
    reset.sa_handler = SIG_DFL;
    sigemptyset(&reset.sa_mask);
    for (int sig = 1; sig < NSIG; ++sig)
        if (sig == SIGPIPE || sigismember(&caught, sig) == 1)
            (void)::sigaction(sig, &reset, nullptr);
    (void)::prctl(PR_SET_NAME, "local", 0, 0, 0);
    // The uid change has made it not dumpable already (fs.suid_dumpable 0 or 2); this
    // holds with suid_dumpable 1 too. The recipient may signal it, as bin/local, but not
    // ptrace it or read its memory: it holds lspawn's heap (other deliveries' addresses).
    (void)::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

std::pair<std::string, std::string> split_recipient(std::string const& recipient)
{
    auto at = recipient.rfind('@');
    if (at == std::string::npos)
        return { recipient, "" };
    return { recipient.substr(0, at), recipient.substr(at + 1) };
}

std::vector<std::string> local_arguments(std::string const& root, mta::Delivery const& d,
    std::string const& local, std::string const& domain, std::string const& sender,
    std::string const& default_delivery)
{
    return { root + "/bin/local", "--", d.user, d.home, local, d.dash, d.ext, domain, sender,
        default_delivery };
}

std::string report_local(mta::ExitStatus status, std::string_view output)
{
    if (status.signaled)
        return "Zlocal crashed.\n";
    std::string letter;
    switch (status.code_or_signal) {
    case mta::kExitOk:
        letter = "K";
        break;
    case mta::kExitExecFailed:
        return "ZUnable to run local.\n";
    case mta::kExitTemp:
    case 71: // EX_OSERR, EX_IOERR, EX_TEMPFAIL: temporary, as qmail-lspawn
    case 74:
    case 75:
        letter = "Z";
        break;
    default: // 100 and every code local does not use: permanent
        letter = "D";
    }
    return letter + std::string(output.substr(0, output.find('\0')));
}

std::string report_lookup_failure(mta::Error error)
{
    if (std::strcmp(error.what, "not allowed to deliver as root") == 0)
        return kRootRefused;
    if (std::strcmp(error.what, "no alias account") == 0)
        return kNoAlias;
    if (is_users_cdb_error(error))
        return temporary("Trouble reading users/cdb in lspawn", error);
    return temporary("Temporary failure in lspawn", error);
}

mta::Result<std::optional<mta::Account>> AliasHome::find(std::string const& name) const
{
    auto found = m_base.find(name);
    if (found && *found && name == mta::conf::kUserAlias)
        (*found)->home = m_alias_home;
    return found;
}

mta::Result<std::optional<uid_t>> AliasHome::directory_owner(std::string const& path) const
{
    return m_base.directory_owner(path);
}

mta::Result<mta::Delivery> LocalHook::find(std::string const& local) const
{
    auto users = mta::Cdb::open(m_root + "/users/cdb");
    if (!users && users.error().errnum != ENOENT)
        return users.error();
    return mta::find_delivery(local, users ? &*users : nullptr, m_accounts);
}

mta::SpawnHook::Started LocalHook::start(
    int message_fd, std::string const& sender, std::string const& recipient, int output_fd)
{
    auto const [local, domain] = split_recipient(recipient);
    if (local.empty())
        return std::string(kTrash);
    auto d = find(local);
    if (!d)
        return report_lookup_failure(d.error());
    if (d->uid == 0) // find_delivery refuses it already; root must never run local
        return std::string(kRootRefused);
    mta::SpawnOptions opt;
    opt.fds = { { 0, message_fd }, { 1, output_fd }, { 2, output_fd } };
    opt.env = m_env;
    opt.cwd = d->home;
    opt.credentials = mta::Credentials { d->uid, d->gid };
    auto const argv = local_arguments(m_root, *d, local, domain, sender, m_default_delivery);
    auto child = mta::Child::run([&] { return run_child(argv, m_body, m_caught); }, opt);
    if (!child) {
        mta::Error e = child.error();
        if (std::strcmp(e.what, "unable to change directory") == 0)
            return "ZUnable to switch to " + d->home + ": " + std::strerror(e.errnum)
                + ". (#4.3.0)\n";
        return temporary("Unable to run local", e);
    }
    return std::move(*child);
}

} // namespace lspawn
