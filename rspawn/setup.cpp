#include "setup.hpp"

#include "exit_codes.hpp"
#include "fd.hpp"
#include "log.hpp"
#include "spawn_driver.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace rspawn {

Config load_config(int argc, char** /*argv*/)
{
    if (argc != 1)
        mta::log::fatal(mta::kExitPerm, "usage: rspawn");
    std::string failed;
    auto site = mta::find_spawner_site(failed);
    if (!site)
        mta::log::fatal(mta::kExitTemp, failed, site.error());
    return Config { site->root, site->queue_uid };
}

void clear_tcpto(Config const& config)
{
    std::string const path = config.root + "/queue/lock/tcpto";
    mta::Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.valid() || ::flock(fd.get(), LOCK_EX) == -1 || ::ftruncate(fd.get(), 0) == -1
        || ::ftruncate(fd.get(), 1024) == -1) {
        mta::log::warn("unable to clear " + path, mta::Error::from_errno("open"));
        return;
    }
}

void enter_message_dir(Config const& config)
{
    std::string dir;
    if (auto st = mta::enter_message_dir(config.root, dir); !st)
        mta::log::fatal(mta::kExitTemp, "unable to switch to " + dir, st.error());
}

} // namespace rspawn
