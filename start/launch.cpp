#include "launch.hpp"

#include "auto_conf.hpp"
#include "exit_codes.hpp"
#include "install_root.hpp"
#include "log.hpp"
#include "privs.hpp"
#include "process.hpp"
#include "spawn_driver.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace start {

namespace {

[[noreturn]] void die(std::string_view text, mta::Error error)
{
    mta::log::fatal(mta::kExitTemp, text, error);
}

bool is_executable_file(std::string const& path)
{
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)
        && ::access(path.c_str(), X_OK) == 0;
}

// Opens /dev/null on 0, 1 and 2 where they are closed, so no pipe takes those numbers;
// marks every other inherited descriptor close-on-exec, so none leaks into a delivery.
void tidy_descriptors()
{
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        int got = ::open("/dev/null", O_RDWR);
        if (got != fd)
            die("unable to open /dev/null", mta::Error::from_errno("open"));
    }
    (void)::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
}

uid_t uid_or_die(char const* name)
{
    auto account = mta::lookup_account(name);
    if (!account)
        die(std::string("unable to look up account ") + name, account.error());
    return account->uid;
}

gid_t gid_or_die(char const* name)
{
    auto group = mta::lookup_group(name);
    if (!group)
        die(std::string("unable to look up group ") + name, group.error());
    return *group;
}

std::string program(Setup const& setup, char const* name)
{
    return setup.root + "/bin/" + name;
}

// Starts argv as uid:gid with fds 0 and 1 from the pipes (start's stderr stays fd 2),
// then closes the child's ends here so send sees end of file when the helper ends.
void start_helper(Setup const& setup, std::vector<std::string> const& argv, uid_t uid, gid_t gid,
    mta::Fd& input, mta::Fd& output)
{
    mta::SpawnOptions opt;
    opt.fds = { { 0, input.get() }, { 1, output.get() }, { 2, 2 } };
    opt.env = setup.env;
    opt.credentials = mta::Credentials { uid, gid };
    auto child = mta::Child::spawn(argv, opt);
    if (!child)
        die("unable to start " + argv[0], child.error());
    (void)child->release(); // send's child from now on
    input = mta::Fd();
    output = mta::Fd();
}

// No rspawn: fd 4 says "0 slots" and ends, fd 3 swallows whatever is written to it.
void stand_in_for_rspawn(Pipes& pipes)
{
    char const none = 0;
    if (auto st = mta::write_all(pipes.rspawn_results.write_end.get(), std::string_view(&none, 1));
        !st)
        die("unable to write to pipe", st.error());
    pipes.rspawn_results.write_end = mta::Fd();
    pipes.rspawn_commands.read_end = mta::Fd();
    int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null == -1)
        die("unable to open /dev/null", mta::Error::from_errno("open"));
    pipes.rspawn_commands.write_end = mta::Fd(null);
}

[[noreturn]] void die_after_rewiring(int diag, std::string const& text, int errnum)
{
    std::string line = "start: fatal: " + text + ": " + std::strerror(errnum) + "\n";
    (void)mta::write_all(diag, line);
    ::_exit(mta::kExitTemp);
}

} // namespace

Args parse_args(int argc, char const* const* argv)
{
    Args args;
    if (argc > 1)
        args.default_delivery = argv[1];
    for (int i = 2; i < argc; ++i)
        args.logger.emplace_back(argv[i]);
    return args;
}

void hold_signals_for_send()
{
    sigset_t held;
    sigemptyset(&held);
    for (int sig : { SIGTERM, SIGALRM, SIGHUP })
        sigaddset(&held, sig);
    ::sigprocmask(SIG_BLOCK, &held, nullptr);
}

Setup setup_or_die()
{
    tidy_descriptors();
    if (::geteuid() != 0)
        mta::log::fatal(mta::kExitTemp, "start must run as root");
    auto root = mta::install_root();
    if (!root)
        die("unable to find the install root", root.error());
    Setup setup;
    setup.root = *root;
    for (char const* name : { "send", "lspawn", "clean" }) {
        if (!is_executable_file(program(setup, name)))
            mta::log::fatal(mta::kExitTemp, "unable to find " + program(setup, name));
    }
    setup.send_uid = uid_or_die(mta::conf::kUserSend);
    setup.queue_uid = uid_or_die(mta::conf::kUserQueue);
    setup.remote_uid = uid_or_die(mta::conf::kUserRemote);
    setup.log_uid = uid_or_die(mta::conf::kUserLog);
    setup.mail_gid = gid_or_die(mta::conf::kGroupMail);
    setup.nofiles_gid = gid_or_die(mta::conf::kGroupNofiles);
    setup.env = mta::delivery_environment();
    ::umask(077);
    if (::chdir("/") == -1)
        die("unable to switch to /", mta::Error::from_errno("chdir"));
    return setup;
}

std::optional<std::string> find_program(
    std::string const& name, std::string const& root, std::string_view path)
{
    if (name.find('/') != std::string::npos)
        return name;
    std::vector<std::string> dirs { root + "/bin" };
    while (!path.empty()) {
        auto colon = path.find(':');
        std::string_view dir = path.substr(0, colon);
        if (!dir.empty())
            dirs.emplace_back(dir);
        path = colon == std::string_view::npos ? std::string_view() : path.substr(colon + 1);
    }
    for (auto const& dir : dirs) {
        if (is_executable_file(dir + "/" + name))
            return dir + "/" + name;
    }
    return std::nullopt;
}

int start_logger_or_die(Setup const& setup, Args const& args)
{
    if (args.logger.empty())
        return 1;
    std::string path;
    for (auto const& entry : setup.env) {
        if (entry.rfind("PATH=", 0) == 0)
            path = entry.substr(5);
    }
    auto found = find_program(args.logger[0], setup.root, path);
    if (!found)
        mta::log::fatal(mta::kExitTemp, "unable to find the logger " + args.logger[0]);
    auto pipe = mta::make_pipe();
    if (!pipe)
        die("unable to create pipe", pipe.error());
    std::vector<std::string> argv = args.logger;
    argv[0] = *found;
    mta::Fd stdout_copy(::fcntl(1, F_DUPFD_CLOEXEC, 3));
    if (!stdout_copy.valid())
        die("unable to duplicate descriptor", mta::Error::from_errno("fcntl"));
    start_helper(setup, argv, setup.log_uid, setup.nofiles_gid, pipe->read_end, stdout_copy);
    return pipe->write_end.release(); // close-on-exec: only send gets it, as fd 0
}

Pipes make_pipes_or_die()
{
    Pipes pipes;
    for (mta::Pipe* p : { &pipes.lspawn_commands, &pipes.lspawn_results, &pipes.rspawn_commands,
             &pipes.rspawn_results, &pipes.clean_requests, &pipes.clean_replies }) {
        auto made = mta::make_pipe();
        if (!made)
            die("unable to create pipe", made.error());
        *p = std::move(*made);
    }
    return pipes;
}

void start_helpers_or_die(Setup const& setup, Args const& args, Pipes& pipes)
{
    start_helper(setup, { program(setup, "lspawn"), args.default_delivery }, 0, setup.mail_gid,
        pipes.lspawn_commands.read_end, pipes.lspawn_results.write_end);
    if (is_executable_file(program(setup, "rspawn")))
        start_helper(setup, { program(setup, "rspawn") }, setup.remote_uid, setup.mail_gid,
            pipes.rspawn_commands.read_end, pipes.rspawn_results.write_end);
    else
        stand_in_for_rspawn(pipes);
    start_helper(setup, { program(setup, "clean") }, setup.queue_uid, setup.mail_gid,
        pipes.clean_requests.read_end, pipes.clean_replies.write_end);
}

mta::Status install_fds(std::vector<int> const& fds)
{
    int const above = std::max(static_cast<int>(fds.size()), 3);
    std::vector<mta::Fd> copies;
    for (int fd : fds) {
        mta::Fd copy(::fcntl(fd, F_DUPFD_CLOEXEC, above));
        if (!copy.valid())
            return mta::Error::from_errno("unable to duplicate descriptor");
        copies.push_back(std::move(copy));
    }
    for (size_t i = 0; i < copies.size(); ++i) {
        if (::dup2(copies[i].get(), static_cast<int>(i)) == -1)
            return mta::Error::from_errno("unable to move descriptor");
    }
    return {};
}

void become_send(Setup const& setup, int log_fd, Pipes& pipes)
{
    if (auto st = mta::drop_privileges(setup.send_uid, setup.mail_gid); !st)
        die("unable to become " + std::string(mta::conf::kUserSend), st.error());
    // Descriptor 2 becomes lspawn's result pipe: keep a way to report a failing exec.
    int const diag = ::fcntl(2, F_DUPFD_CLOEXEC, 10);
    std::string const send = program(setup, "send");
    if (auto st = install_fds(
            { log_fd, pipes.lspawn_commands.write_end.get(), pipes.lspawn_results.read_end.get(),
                pipes.rspawn_commands.write_end.get(), pipes.rspawn_results.read_end.get(),
                pipes.clean_requests.write_end.get(), pipes.clean_replies.read_end.get() });
        !st)
        die_after_rewiring(diag, "unable to set up descriptors for send", st.error().errnum);
    std::vector<char*> argv { const_cast<char*>(send.c_str()), nullptr };
    std::vector<char*> envp;
    for (auto const& e : setup.env)
        envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    ::execve(send.c_str(), argv.data(), envp.data());
    die_after_rewiring(diag, "unable to run " + send, errno);
}

} // namespace start
