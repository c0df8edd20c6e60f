#include "run.hpp"

#include "deliver.hpp"
#include "exit_codes.hpp"
#include "fd.hpp"
#include "process.hpp"

#include <ctime>
#include <sys/stat.h>

namespace local {

namespace {

// The failure's text on fd 2 (lspawn reads it as the bounce or log text); its exit code.
int fail(Failure const& failure)
{
    if (!failure.text.empty())
        (void)mta::write_all(2, failure.text + "\n");
    return failure.exit_code;
}

} // namespace

int run(int argc, char const* const* argv)
{
    ::umask(077);
    mta::ignore_sigpipe();
    auto const args = parse_args(argc, argv);
    if (!args)
        return fail(args.failure());
    Recipient const& r = args->recipient;
    auto const sticky = enter_home(r, args->doit);
    if (!sticky)
        return fail(sticky.failure());
    if (*sticky)
        (void)mta::write_all(2, "Warning: home directory is sticky.\n");
    AddedLines const lines = added_lines(r, ::time(nullptr));
    if (args->doit) {
        if (Fail f = check_message(0, lines.dtline))
            return fail(*f);
    }
    auto const plan = choose_instructions(r);
    if (!plan)
        return fail(plan.failure());
    std::string said;
    auto const counts = execute(*args, lines, *plan, 0, said);
    if (!counts)
        return fail(counts.failure());
    (void)mta::write_all(1, said + report(*counts)); // delivered even if this fails
    return mta::kExitOk;
}

int run(std::vector<std::string> const& argv)
{
    std::vector<char const*> pointers;
    pointers.reserve(argv.size() + 1);
    for (auto const& arg : argv)
        pointers.push_back(arg.c_str());
    pointers.push_back(nullptr);
    return run(static_cast<int>(argv.size()), pointers.data());
}

} // namespace local
