#include "run.hpp"

#include "env.hpp"
#include "exit_codes.hpp"
#include "log.hpp"
#include "process.hpp"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace sendmail {

namespace {

[[noreturn]] void exec_or_die(std::vector<std::string> const& argv, mta::EnvBuilder const& env)
{
    std::vector<char*> args = mta::exec_vector(argv);
    std::vector<char*> envp = mta::exec_vector(env.entries());
    ::execve(args[0], args.data(), envp.data());
    mta::log::fatal(mta::kExitTemp, "unable to run " + argv[0], mta::Error::from_errno("exec"));
}

} // namespace

std::vector<std::string> inject_argv(std::string const& root, Plan const& plan)
{
    std::vector<std::string> argv { root + "/bin/inject" };
    argv.insert(argv.end(), plan.inject_args.begin(), plan.inject_args.end());
    return argv;
}

std::string unreadable_queue_dir(std::string const& root)
{
    for (const char* dir : { "mess", "todo", "info", "local", "remote", "bounce" }) {
        std::string path = root + "/queue/" + dir;
        if (::access(path.c_str(), R_OK | X_OK) == -1 && errno != ENOENT)
            return path;
    }
    return "";
}

void exec_inject(std::string const& root, Plan const& plan)
{
    auto env = mta::EnvBuilder::from_current();
    if (auto st = apply_env(plan.env, env); !st)
        mta::log::fatal(mta::kExitPerm, "bad environment value", st.error());
    exec_or_die(inject_argv(root, plan), env);
}

void exec_queue_listing(std::string const& root)
{
    if (auto dir = unreadable_queue_dir(root); !dir.empty())
        mta::log::fatal(mta::kExitPerm,
            "listing the queue needs root (" + dir + " is not readable by uid "
                + std::to_string(::getuid()) + ")");
    exec_or_die({ root + "/bin/mailctl", "queue" }, mta::EnvBuilder::from_current());
}

void die_usage(std::string const& problem)
{
    std::string text = std::string(mta::log::program()) + ": fatal: " + problem + "\n"
        + mta::log::program() + ": " + kUsage + "\n";
    (void)!::write(2, text.data(), text.size());
    ::_exit(mta::kExitPerm);
}

void exec_smtpd(std::string const& root)
{
    auto env = mta::EnvBuilder::from_current();
    for (char const* name :
        { "PROTO", "TCPLOCALIP", "TCPLOCALHOST", "TCPLOCALPORT", "TCPREMOTEIP", "TCPREMOTEHOST",
            "TCPREMOTEINFO", "TCPREMOTEPORT", "RELAYCLIENT", "SMTPS", "DATABYTES" })
        env.unset(name);
    exec_or_die({ root + "/bin/smtpd", "-L" }, env);
}

void die_newaliases(std::string const& root)
{
    mta::log::fatal(mta::kExitPerm,
        "aliases live in " + root + "/alias/.qmail-NAME files, one per alias (e.g. " + root
            + "/alias/.qmail-postmaster); they take effect at once and there is nothing to "
              "rebuild");
}

} // namespace sendmail
