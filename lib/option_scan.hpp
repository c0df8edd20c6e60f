// option_scan - where a command line's options end, the way getopt sees it: options are
// clusters of letters ("-nN"), up to "--" (taken as the end and skipped) or the first
// argument that is not a cluster ("x", "-").
//
//     int i = 1;
//     for (; mta::at_option_cluster(argc, argv, i); ++i)
//         for (char c : std::string_view(argv[i]).substr(1))
//             ...                                  // a letter's value may take argv[++i]
//     // argv[i] is the first operand (i == argc: none)
//
// No errors: an unknown letter is for the caller to refuse.
#pragma once

namespace mta {

// True when argv[i] is a cluster of option letters. False at the end of argv, at the
// first operand, and at "--", which it steps over (i then names the first operand).
bool at_option_cluster(int argc, char const* const* argv, int& i);

} // namespace mta
