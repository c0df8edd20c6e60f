// config - lspawn's command line and startup facts, read once (style 2.7); every problem
// ends the program with one line on stderr: 100 for usage, 111 otherwise.
//
//     lspawn::Config const config = lspawn::load_config(argc, argv);
//     lspawn::enter_message_dir(config);
#pragma once

#include <string>
#include <sys/types.h>

namespace lspawn {

struct Config {
    std::string root; // the install root (ROOT/bin/lspawn -> ROOT)
    std::string default_delivery; // local's last argument, e.g. "./Maildir/"
    uid_t queue_uid = 0; // the owner every message file must have
};

// `lspawn defaultdelivery`, run as root.
Config load_config(int argc, char** argv);

// chdir ROOT/queue/mess: message ids are relative to it.
void enter_message_dir(Config const& config);

} // namespace lspawn
