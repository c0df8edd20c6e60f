#include "received.hpp"

#include "auto_conf.hpp"
#include "date.hpp"
#include "privs.hpp"

namespace queue {

namespace {

std::optional<uid_t> uid_of(char const* name)
{
    auto account = mta::lookup_account(name);
    if (!account)
        return std::nullopt;
    return account->uid;
}

} // namespace

Invokers lookup_invokers()
{
    return Invokers { uid_of(mta::conf::kUserAlias), uid_of(mta::conf::kUserDaemon),
        uid_of(mta::conf::kUserSend) };
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
