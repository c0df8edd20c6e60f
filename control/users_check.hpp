// users_check - `mailctl check` for users/: users/assign parses (problems name the line),
// users/cdb exists, opens, and holds exactly the records newu would write from it, and
// both are root-owned and not writable by group or others.
//
//     for (auto const& p : admin::check_users(root, true)) print(p);
//
// Returns one line per problem; no users/assign means nothing to check.
#pragma once

#include <string>
#include <vector>

namespace admin {

std::vector<std::string> check_users(std::string const& root, bool check_owners);

} // namespace admin
