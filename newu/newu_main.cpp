// newu - compiles ROOT/users/assign into ROOT/users/cdb (qmail-newu), the table lspawn
// reads. See docs/man/newu.8.md and lib/assign.hpp for the file format.
// Exit codes: 0 users/cdb replaced; 100 usage error or a malformed users/assign (one line
// names the line and the problem; users/cdb is left as it was); 111 a temporary failure
// (users/assign unreadable, users/cdb not written).
#include "assign.hpp"
#include "exit_codes.hpp"
#include "fd.hpp"
#include "install_root.hpp"
#include "log.hpp"

#include <string>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

constexpr size_t kMaxAssignBytes = size_t { 256 } * 1024 * 1024;

[[noreturn]] void die_usage()
{
    mta::log::fatal(mta::kExitPerm, "usage: newu (it takes no arguments)");
}

[[noreturn]] void die_format(size_t line, char const* problem)
{
    mta::log::fatal(mta::kExitPerm, "users/assign line " + std::to_string(line) + ": " + problem);
}

void chdir_root()
{
    auto root = mta::install_root();
    if (!root)
        mta::log::fatal(mta::kExitTemp, "unable to find the install root", root.error());
    if (::chdir(root->c_str()) == -1)
        mta::log::fatal(
            mta::kExitTemp, "unable to switch to " + *root, mta::Error::from_errno("chdir"));
}

// Two builders must not write users/cdb.tmp at once: whoever rebuilds users/cdb holds an
// exclusive flock on users/assign while it does.
mta::Fd lock_assign()
{
    auto fd = mta::open_read("users/assign");
    if (!fd)
        mta::log::fatal(mta::kExitTemp, "users/assign", fd.error());
    if (::flock(fd->get(), LOCK_EX) == -1)
        mta::log::fatal(mta::kExitTemp, "users/assign", mta::Error::from_errno("unable to lock"));
    return std::move(*fd);
}

mta::assign::Parsed read_assign()
{
    auto text = mta::read_file("users/assign", kMaxAssignBytes);
    if (!text && text.error().errnum == EFBIG)
        mta::log::fatal(mta::kExitPerm, "users/assign is bigger than 256 MiB");
    if (!text)
        mta::log::fatal(mta::kExitTemp, "users/assign", text.error());
    auto parsed = mta::assign::parse(*text);
    if (!parsed.ok())
        die_format(parsed.line, parsed.problem);
    for (auto [first, later] : mta::assign::shadowed(parsed.entries))
        mta::log::warn("users/assign line " + std::to_string(later) + ": never used: line "
            + std::to_string(first) + " has the same address or prefix");
    return parsed;
}

} // namespace

int main(int argc, char**)
{
    return mta::run_main("newu", [&] {
        if (argc > 1)
            die_usage();
        chdir_root();
        ::umask(033);
        mta::Fd const lock = lock_assign();
        auto const parsed = read_assign();
        if (auto st = mta::assign::write_cdb("users/cdb", parsed.entries); !st)
            mta::log::fatal(
                mta::kExitTemp, "unable to write users/cdb (through users/cdb.tmp)", st.error());
        return mta::kExitOk;
    });
}
