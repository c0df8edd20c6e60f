#include "program.hpp"

#include "exit_codes.hpp"
#include "process.hpp"

#include <unistd.h>

namespace local {

ProgramVerdict classify_exit(int code)
{
    switch (code) {
    case mta::kExitOk:
        return ProgramVerdict::delivered;
    case mta::kExitDeliveredStop:
        return ProgramVerdict::stop;
    // sysexits.h's EX_USAGE, EX_DATAERR, EX_SOFTWARE, EX_PROTOCOL, EX_NOPERM and EX_CONFIG,
    // and 112, are permanent for qmail-local too.
    case mta::kExitPerm:
    case 64:
    case 65:
    case 70:
    case 76:
    case 77:
    case 78:
    case 112:
        return ProgramVerdict::permanent;
    default:
        return ProgramVerdict::temporary;
    }
}

Outcome<ProgramVerdict> run_program(
    std::string const& command, std::vector<std::string> const& env, int message_fd)
{
    if (::lseek(message_fd, 0, SEEK_SET) == -1)
        return temp_rewind(mta::Error::from_errno("unable to rewind"));
    mta::SpawnOptions options;
    options.env = env;
    if (message_fd != 0)
        options.fds = { { 0, message_fd } };
    auto child = mta::Child::spawn({ "/bin/sh", "-c", command }, options);
    if (!child)
        return temp_fork(child.error());
    auto status = child->wait();
    if (!status)
        return temp_fork(status.error());
    if (status->signaled)
        return temp_child_crashed();
    return classify_exit(status->code_or_signal);
}

} // namespace local
