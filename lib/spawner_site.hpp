// spawner_site - what the spawner programs (lspawn, rspawn) find and set up around the
// driver loop of lib/spawn_driver.hpp, and the environment every delivery gets.
//
//     std::string failed;
//     auto site = mta::find_spawner_site(failed);
//     if (!site) mta::log::fatal(mta::kExitTemp, failed, site.error());
//     std::string dir;
//     if (auto st = mta::enter_message_dir(site->root, dir); !st)
//         mta::log::fatal(mta::kExitTemp, "unable to switch to " + dir, st.error());
//     options.env = mta::delivery_environment();             // for mta::Child::spawn
//
// Errors are Result values; the text of the fatal line is the caller's, from `failed` or
// `dir`. delivery_environment() cannot fail.
#pragma once

#include "error.hpp"

#include <string>
#include <sys/types.h>
#include <vector>

namespace mta {

// What every spawner (lspawn, rspawn) finds at startup: the install root and the queue
// account's uid (the owner every message file must have).
struct SpawnerSite {
    std::string root;
    uid_t queue_uid = 0;
};

// The install root and the queue account. On failure `failed` is set to the fatal line's
// text ("unable to find the install root", "unable to look up account msq").
Result<SpawnerSite> find_spawner_site(std::string& failed);

// chdir ROOT/queue/mess: message ids are relative to it. On failure `dir` is the folder.
Status enter_message_dir(std::string const& root, std::string& dir);

// The environment start gives send and the spawners, and the spawners give their
// deliveries: PATH (this process's, or /usr/local/bin:/usr/bin:/bin), TZ when set, and
// the sanitizer runtimes' options when set. Nothing else crosses into a delivery.
std::vector<std::string> delivery_environment();

} // namespace mta
