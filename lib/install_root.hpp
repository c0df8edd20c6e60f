// install_root - where the installed tree is: the parent of the folder that holds the
// running program (ROOT/bin/prog -> ROOT), so any ROOT works without rebuilding.
//
//     auto root = mta::install_root();
//     if (!root) mta::log::fatal(mta::kExitTemp, "unable to find the install root", root.error());
//     std::string me = *root + "/control/me";
//
// Fails (errno from readlink) only when /proc/self/exe cannot be read.
#pragma once

#include "error.hpp"

#include <string>

namespace mta {

Result<std::string> install_root();
// ROOT for a program at `exe_path` (pure: exposed for tests).
std::string root_of_program(std::string const& exe_path);

} // namespace mta
