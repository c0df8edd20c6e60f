#include "spawner_site.hpp"

#include "auto_conf.hpp"
#include "env.hpp"
#include "install_root.hpp"
#include "privs.hpp"

#include <unistd.h>

namespace mta {

std::vector<std::string> delivery_environment()
{
    auto env = EnvBuilder::keep_from_current(
        { "PATH", "TZ", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS" });
    if (!env.get("PATH"))
        (void)env.set("PATH", "/usr/local/bin:/usr/bin:/bin");
    return env.entries();
}

Result<SpawnerSite> find_spawner_site(std::string& failed)
{
    auto root = install_root();
    if (!root) {
        failed = "unable to find the install root";
        return root.error();
    }
    auto queue = lookup_account(conf::kUserQueue);
    if (!queue) {
        failed = std::string("unable to look up account ") + conf::kUserQueue;
        return queue.error();
    }
    return SpawnerSite { *root, queue->uid };
}

Status enter_message_dir(std::string const& root, std::string& dir)
{
    dir = root + "/queue/mess";
    if (::chdir(dir.c_str()) == -1)
        return Error::from_errno("chdir");
    return {};
}

} // namespace mta
