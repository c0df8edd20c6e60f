#include "config.hpp"

#include "exit_codes.hpp"
#include "log.hpp"
#include "spawn_driver.hpp"

#include <unistd.h>

namespace lspawn {

Config load_config(int argc, char** argv)
{
    if (argc != 2)
        mta::log::fatal(mta::kExitPerm, "usage: lspawn defaultdelivery");
    if (::geteuid() != 0)
        mta::log::fatal(mta::kExitTemp, "lspawn must run as root");
    std::string failed;
    auto site = mta::find_spawner_site(failed);
    if (!site)
        mta::log::fatal(mta::kExitTemp, failed, site.error());
    return Config { site->root, argv[1], site->queue_uid };
}

void enter_message_dir(Config const& config)
{
    std::string dir;
    if (auto st = mta::enter_message_dir(config.root, dir); !st)
        mta::log::fatal(mta::kExitTemp, "unable to switch to " + dir, st.error());
}

} // namespace lspawn
