// limits - softlimit's options (daemontools semantics): which soft resource limits to
// set before running a program.
//
//     auto parsed = sv::parse_limits(argc, argv);   // "-m 64000000 -o 100 prog args"
//     if (!parsed) die_usage(parsed.error().what);
//     if (auto st = sv::apply_limits(parsed->limits); !st) die(st.error());
//     execvp(argv[parsed->child], argv + parsed->child);
//
// -m n sets data, stack, locked memory and address space at once; -a address space, -d
// data, -s stack, -l locked memory, -f file size, -c core size, -o open files, -p
// processes, -r resident set, -t CPU seconds. n is a decimal number, or `=` for the hard
// limit. A soft limit is never set above the hard limit (it is capped at it).
#pragma once

#include "error.hpp"

#include <vector>

namespace sv {

struct LimitSetting {
    int resource; // RLIMIT_*
    bool to_hard = false; // "=": raise the soft limit to the hard one
    unsigned long long value = 0;
};

struct ParsedLimits {
    std::vector<LimitSetting> limits;
    int child = 0; // index in argv of the program to run
};

mta::Result<ParsedLimits> parse_limits(int argc, char const* const* argv);
mta::Status apply_limits(std::vector<LimitSetting> const& limits);

} // namespace sv
