// clean - removes queue files when send asks (qmail-clean compatible) and sweeps up what
// crashed injections left behind. Runs as msq, started by `start` with send's pipes on
// fd 0 and 1; `clean -s AGE` sweeps once and exits. See docs/man/clean.8.md.
#include "clean.hpp"
#include "exit_codes.hpp"
#include "install_root.hpp"
#include "log.hpp"
#include "process.hpp"
#include "queue_paths.hpp"
#include "sweep.hpp"

#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <unistd.h>

namespace {

constexpr char const* kUsage = "usage: clean [-s AGE_SECONDS]";

// No argument: serve send's requests. -s AGE: sweep once with that age and exit.
std::optional<time_t> parse_args(int argc, char** argv)
{
    if (argc == 1)
        return std::nullopt;
    if (argc == 3 && std::string_view(argv[1]) == "-s") {
        if (auto age = mta::parse_message_number(argv[2]))
            return static_cast<time_t>(*age);
    }
    mta::log::fatal(mta::kExitPerm, kUsage);
}

void enter_queue_dir()
{
    auto root = mta::install_root();
    if (!root)
        mta::log::fatal(mta::kExitTemp, "unable to find the install root", root.error());
    if (::chdir(root->c_str()) == -1 || ::chdir("queue") == -1)
        mta::log::fatal(mta::kExitTemp, "unable to switch to " + *root + "/queue",
            mta::Error::from_errno("chdir"));
}

int sweep_once(time_t age)
{
    queue::SweepCounts const c = queue::sweep(".", ::time(nullptr), age);
    std::printf("removed %u pid files, %u messages, %u intd files; skipped %u running, %u "
                "younger than %lld s\n",
        c.pid_files, c.messages, c.intd_files, c.busy, c.young, static_cast<long long>(age));
    return std::fflush(stdout) == 0 ? mta::kExitOk : mta::kExitTemp;
}

} // namespace

int main(int argc, char** argv)
{
    return mta::run_main("clean", [&] {
        std::optional<time_t> const sweep_age = parse_args(argc, argv);
        enter_queue_dir();
        mta::ignore_sigpipe();
        if (sweep_age)
            return sweep_once(*sweep_age);
        return queue::serve(".", 0, 1);
    });
}
