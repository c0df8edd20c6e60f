#include "config.hpp"

#include "auto_conf.hpp"
#include "exit_codes.hpp"
#include "install_root.hpp"
#include "log.hpp"
#include "privs.hpp"

#include <unistd.h>

namespace lspawn {

Config load_config(int argc, char** argv)
{
    if (argc != 2)
        mta::log::fatal(mta::kExitPerm, "usage: lspawn defaultdelivery");
    Config config;
    config.default_delivery = argv[1];
    if (::geteuid() != 0)
        mta::log::fatal(mta::kExitTemp, "lspawn must run as root");
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

void enter_message_dir(Config const& config)
{
    std::string const dir = config.root + "/queue/mess";
    if (::chdir(dir.c_str()) == -1)
        mta::log::fatal(
            mta::kExitTemp, "unable to switch to " + dir, mta::Error::from_errno("chdir"));
}

} // namespace lspawn
