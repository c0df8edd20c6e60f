// config - send's control files, read once at startup; SIGHUP rereads locals and
// virtualdomains only (qmail-send's rule).
//
//     std::string problem;
//     auto config = send::load_config(root, problem);
//     if (!config) die("cannot start: " + problem);     // "unable to read control/locals: ..."
//     ...
//     if (!send::reload_routing(root, config->routing, problem)) log("alert: " + problem);
//
// Defaults (docs/man/send.8.md): envnoathost, bouncehost and doublebouncehost default to
// control/me, or to their own names when me is missing too (as qmail); locals to me;
// bouncefrom MAILER-DAEMON; doublebounceto postmaster; concurrencylocal 10;
// concurrencyremote 20; queuelifetime 604800. A file that exists but cannot be read, or
// a number that is not one, is a problem: send does not start with half its settings.
#pragma once

#include "rewrite.hpp"

#include <ctime>
#include <optional>
#include <string>

namespace send {

struct Config {
    Routing routing;
    std::string bouncefrom = "MAILER-DAEMON";
    std::string bouncehost;
    std::string doublebounceto = "postmaster"; // local part; empty: double bounces are dropped
    std::string doublebouncehost;
    unsigned concurrency[kChannels] = { 10, 20 }; // before the spawners' limits
    time_t queuelifetime = 604800;
};

// nullopt and a one-line problem ("unable to read control/NAME: strerror") on failure.
std::optional<Config> load_config(std::string const& root, std::string& problem);

// Rereads locals and virtualdomains into routing; on failure routing is unchanged.
bool reload_routing(std::string const& root, Routing& routing, std::string& problem);

} // namespace send
