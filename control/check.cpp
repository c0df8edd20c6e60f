// mailctl check: every problem of an install, one line each.
#include "auto_conf.hpp"
#include "cdb_tables.hpp"
#include "commands.hpp"
#include "control_files.hpp"
#include "exit_codes.hpp"
#include "layout.hpp"
#include "privs.hpp"
#include "tls_keys.hpp"
#include "users_check.hpp"

#include "fd.hpp"
#include <algorithm>
#include <cstdio>
#include <sys/stat.h>
#include <unistd.h>

namespace admin {

namespace {

// The names in dir that start with prefix (none when dir cannot be read: the layout
// check reports a missing directory).
std::vector<std::string> files_in(std::string const& dir, std::string_view prefix)
{
    std::vector<std::string> out;
    if (auto names = mta::list_directory(dir))
        for (auto const& name : *names)
            if (name.compare(0, prefix.size(), prefix) == 0)
                out.push_back(name);
    return out;
}

void check_layout(std::string const& root, bool check_owners, std::vector<std::string>& out)
{
    Ids ids;
    auto entries = tree_layout();
    for (auto const& e : program_layout(files_in(root + "/bin", "")))
        entries.push_back(e);
    for (auto const& entry : entries)
        for (auto& p : check_entry(root, entry, ids, check_owners))
            out.push_back(std::move(p));
}

// A user-controlled file: regular, one owner, writable by nobody else.
void check_private_file(std::string const& root, std::string const& rel, const char* owner,
    bool check_owners, std::vector<std::string>& out)
{
    struct stat st;
    if (::lstat((root + "/" + rel).c_str(), &st) == -1) {
        out.push_back(rel + ": missing");
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        out.push_back(rel + ": not a regular file");
        return;
    }
    if (st.st_mode & 0002)
        out.push_back(rel + ": world-writable (delivery refuses it; want mode 0644)");
    else if (st.st_mode & 0020)
        out.push_back(rel + ": group-writable (want mode 0644)");
    if (check_owners) {
        auto account = mta::lookup_account(owner);
        if (account && st.st_uid != account->uid)
            out.push_back(rel + ": owner uid " + std::to_string(st.st_uid) + ", want " + owner);
    }
}

void check_aliases(std::string const& root, bool check_owners, std::vector<std::string>& out)
{
    for (const char* name : { "postmaster", "root", "mailer-daemon" }) {
        std::string rel = std::string("alias/.qmail-") + name;
        if (::access((root + "/" + rel).c_str(), F_OK) == -1)
            out.push_back(rel + ": missing: mail to " + name + " would bounce (run mailctl init)");
    }
    for (auto const& name : files_in(root + "/alias", ".qmail"))
        check_private_file(root, "alias/" + name, mta::conf::kUserAlias, check_owners, out);
}

void check_tls(std::string const& root, bool check_owners, std::vector<std::string>& out)
{
    std::string const cert = root + "/control/tls/cert.pem";
    std::string const key = root + "/control/tls/key.pem";
    struct stat st;
    if (::stat(key.c_str(), &st) == 0) {
        if (st.st_mode & 0077)
            out.push_back("control/tls/key.pem: readable by group or others (want mode 0400)");
        auto daemon = mta::lookup_account(mta::conf::kUserDaemon);
        if (check_owners && daemon && st.st_uid != daemon->uid)
            out.push_back("control/tls/key.pem: owner uid " + std::to_string(st.st_uid) + ", want "
                + mta::conf::kUserDaemon);
    }
    for (auto& p : check_tls_pair(cert, key)) {
        auto at = p.find(root + "/");
        if (at != std::string::npos)
            p.erase(at, root.size() + 1);
        out.push_back(std::move(p));
    }
}

} // namespace

int run_check(std::string const& root, Args const& args)
{
    if (wants_help(args))
        return print_help("check");
    if (!args.empty()) {
        std::fputs("mailctl: fatal: usage: mailctl check\n", stderr);
        return mta::kExitPerm;
    }
    struct stat st;
    if (::stat(root.c_str(), &st) == -1) {
        std::fprintf(stderr, "mailctl: fatal: unable to stat %s\n", root.c_str());
        return mta::kExitTemp;
    }
    bool const check_owners = st.st_uid == 0;
    if (!check_owners)
        std::printf(
            "note: %s is not owned by root: a private install, owners not checked\n", root.c_str());
    std::vector<std::string> problems;
    check_layout(root, check_owners, problems);
    for (auto& p : check_control_files(root, check_owners))
        problems.push_back(std::move(p));
    check_aliases(root, check_owners, problems);
    check_tls(root, check_owners, problems);
    for (auto& p : check_users(root, check_owners))
        problems.push_back(std::move(p));
    for (auto& p : stale_tables(root))
        problems.push_back(std::move(p));
    for (auto const& p : problems)
        std::printf("%s\n", p.c_str());
    if (problems.empty()) {
        std::printf("no problems found in %s\n", root.c_str());
        return mta::kExitOk;
    }
    std::fprintf(stderr, "mailctl: %zu problem%s found in %s\n", problems.size(),
        problems.size() == 1 ? "" : "s", root.c_str());
    return mta::kExitPerm;
}

} // namespace admin
