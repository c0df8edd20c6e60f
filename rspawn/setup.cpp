#include "setup.hpp"

#include "auto_conf.hpp"
#include "exit_codes.hpp"
#include "fd.hpp"
#include "install_root.hpp"
#include "log.hpp"
#include "privs.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace rspawn {

Config load_config(int argc, char** /*argv*/)
{
    if (argc != 1)
        mta::log::fatal(mta::kExitPerm, "usage: rspawn");
    Config config;
    auto root = mta::install_root();
    if (!root)
        mta::log::fatal(mta::kExitTemp, "unable to find the install root", root.error());
    config.root = *root;
    auto queue = mta::lookup_account(mta::conf::kUserQueue);
    if (!queue)
        mta::log::fatal(mta::kExitTemp,
            std::string("unable to look up account ") + mta::conf::kUserQueue, queue.error());
    config.queue_uid = queue->uid;
    return config;
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
    std::string const dir = config.root + "/queue/mess";
    if (::chdir(dir.c_str()) == -1)
        mta::log::fatal(
            mta::kExitTemp, "unable to switch to " + dir, mta::Error::from_errno("chdir"));
}

} // namespace rspawn
