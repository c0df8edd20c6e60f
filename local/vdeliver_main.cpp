// vdeliver - delivers mail for a virtual domain, run by local from the domain's
// .qmail-default (domains/DOMAIN/.qmail-default: "|ROOT/bin/vdeliver CATCHALL"), as msvmail
// with the domain's directory as working directory. See docs/man/vdeliver.8.md.
//
// The user is $EXT (the local part the address had): when the directory USER/ exists,
// vdeliver runs ROOT/bin/local again with USER/ as home, so the user's own .qmail files
// apply and ./Maildir/ is the default. Otherwise the longest part of $EXT before a '-'
// that names a user is that user with an extension (USER-EXT: USER/.qmail-EXT). Failing
// both, the catch-all decides: bounce (100), discard (0), or deliver USER (to that user).
// Exit codes: local's (0, 100, 111), 100 for a bounce, 111 when misconfigured.
#include "exit_codes.hpp"
#include "install_root.hpp"
#include "log.hpp"

#include <cstdlib>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

[[noreturn]] void die(int code, std::string const& text)
{
    std::string line = text + "\n";
    (void)!::write(2, line.data(), line.size());
    _exit(code);
}

std::string env_or_die(const char* name)
{
    const char* value = std::getenv(name);
    if (!value)
        die(mta::kExitTemp, std::string("vdeliver: $") + name + " is not set. (#4.3.0)");
    return value;
}

std::string lower(std::string s)
{
    for (char& c : s)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return s;
}

// A name that can be a user's directory: no '/', not starting with '.'.
bool is_user(std::string const& name)
{
    if (name.empty() || name[0] == '.' || name.find('/') != std::string::npos)
        return false;
    struct stat st;
    return ::stat((name + "/Maildir").c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

[[noreturn]] void run_local(std::string const& user, std::string const& local,
    std::string const& dash, std::string const& ext)
{
    auto root = mta::install_root();
    if (!root)
        die(mta::kExitTemp, "vdeliver: unable to find the install root. (#4.3.0)");
    char cwd[4096];
    if (!::getcwd(cwd, sizeof cwd))
        die(mta::kExitTemp, "vdeliver: unable to find the domain directory. (#4.3.0)");
    std::string const program = *root + "/bin/local";
    std::string const home = std::string(cwd) + "/" + user;
    std::string const domain = lower(env_or_die("HOST"));
    std::string const sender = env_or_die("SENDER");
    std::string const self = env_or_die("USER");
    std::vector<const char*> argv
        = { program.c_str(), "--", self.c_str(), home.c_str(), local.c_str(), dash.c_str(),
              ext.c_str(), domain.c_str(), sender.c_str(), "./Maildir/", nullptr };
    ::execv(program.c_str(), const_cast<char* const*>(argv.data()));
    die(mta::kExitTemp, "vdeliver: unable to run " + program + ". (#4.3.0)");
}

int run(int argc, char** argv)
{
    std::string const original = env_or_die("EXT");
    std::string const ext = lower(original);
    if (is_user(ext))
        run_local(ext, ext, "", "");
    for (size_t dash = ext.rfind('-'); dash != std::string::npos && dash > 0;
         dash = ext.rfind('-', dash - 1)) {
        if (is_user(ext.substr(0, dash)))
            run_local(ext.substr(0, dash), ext, "-", original.substr(dash + 1));
    }
    std::string const mode = argc > 1 ? argv[1] : "bounce";
    if (mode == "bounce" && argc == 2)
        die(mta::kExitPerm, "Sorry, no mailbox here by that name. (#5.1.1)");
    if (mode == "discard" && argc == 2) {
        (void)!::write(1, "discarded by the catch-all\n", 27);
        return mta::kExitOk;
    }
    if (mode == "deliver" && argc == 3 && is_user(argv[2]))
        run_local(argv[2], argv[2], "", "");
    die(mta::kExitTemp, "vdeliver: bad catch-all in .qmail-default. (#4.3.5)");
}

} // namespace

int main(int argc, char** argv)
{
    return mta::run_main("vdeliver", [&] { return run(argc, argv); });
}
