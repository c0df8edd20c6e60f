// received - the one line the queue program adds on top of every message, as
// qmail-queue does:
//
//     Received: (mail-suite 4711 invoked by uid 1000); 7 Mar 2024 09:05:01 -0000
//
//     auto invokers = queue::lookup_invokers();               // once per process
//     std::string line = queue::received_line(::getpid(),
//         queue::invoked_by(::getuid(), invokers), ::time(nullptr));
//
// WHO names the caller by its real uid: "from network" for the SMTP account (msd),
// "by alias" for the alias account, "for bounce" for the scheduler (mss), otherwise
// "by uid N". The accounts are looked up in /etc/passwd itself (lib/passwd_file: queue is
// linked statically, without NSS), so accounts kept elsewhere (LDAP) are not seen; an
// account that cannot be looked up simply matches no uid.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace queue {

struct Invokers {
    std::optional<uid_t> alias; // "by alias"
    std::optional<uid_t> daemon; // "from network"
    std::optional<uid_t> send; // "for bounce"
};

// The uids of the accounts named in auto_conf (one read of /etc/passwd).
Invokers lookup_invokers();

// "by alias", "from network", "for bounce" or "by uid N".
std::string invoked_by(uid_t uid, Invokers const& invokers);

// "Received: (mail-suite PID invoked WHO); DATE\n".
std::string received_line(pid_t pid, std::string_view who, time_t now);

} // namespace queue
