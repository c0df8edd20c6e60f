// setup - rspawn's startup: the command line, the install root, the queue account, the
// recently-failed-host table. Every problem ends the program with one line on stderr:
// 100 for usage, 111 otherwise.
//
//     rspawn::Config const config = rspawn::load_config(argc, argv);
//     rspawn::clear_tcpto(config);           // as qmail-rspawn: a fresh start forgets
//     rspawn::enter_message_dir(config);
#pragma once

#include <cstddef>
#include <string>
#include <sys/types.h>

namespace rspawn {

// remote's output kept per delivery: two reply texts of up to 5000 bytes and their
// explanations fit; send cuts results at 10000 bytes.
inline constexpr size_t kReportLimit = 9000;

struct Config {
    std::string root;
    uid_t queue_uid = 0;
};

Config load_config(int argc, char** argv);
// Zeroes ROOT/queue/lock/tcpto (a warning when it cannot: remote then keeps old entries).
void clear_tcpto(Config const& config);
void enter_message_dir(Config const& config);

} // namespace rspawn
