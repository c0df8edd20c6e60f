#include "received.hpp"

#include "auto_conf.hpp"
#include "date.hpp"
#include "passwd_file.hpp"

namespace queue {

Invokers lookup_invokers()
{
    // One pass over /etc/passwd (lib/passwd_file), no NSS: queue is linked statically.
    auto found = mta::find_file_accounts(
        { mta::conf::kUserAlias, mta::conf::kUserDaemon, mta::conf::kUserSend });
    if (!found)
        return Invokers {};
    auto uid_of = [&](size_t i) {
        auto const& account = (*found)[i];
        return account ? std::optional<uid_t>(account->uid) : std::nullopt;
    };
    return Invokers { uid_of(0), uid_of(1), uid_of(2) };
}

std::string invoked_by(uid_t uid, Invokers const& invokers)
{
    if (invokers.alias == uid)
        return "by alias";
    if (invokers.daemon == uid)
        return "from network";
    if (invokers.send == uid)
        return "for bounce";
    return "by uid " + std::to_string(uid);
}

std::string received_line(pid_t pid, std::string_view who, time_t now)
{
    std::string line = "Received: (mail-suite ";
    line += std::to_string(pid);
    line += " invoked ";
    line += who;
    line += "); ";
    line += mta::rfc822_date(now);
    line += '\n';
    return line;
}

} // namespace queue
