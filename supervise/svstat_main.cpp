// svstat - prints the status of supervised services (daemontools' svstat): one line per
// DIR, e.g. "DIR: up (pid 123) 45 seconds, normally down". See docs/man/svstat.8.md.
// Exit codes: 0 (a service that cannot be read is described on its line), 100 usage.
#include "exit_codes.hpp"
#include "log.hpp"
#include "service_status.hpp"

#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace {

std::string status_of(std::string const& dir)
{
    struct stat st;
    if (::stat(dir.c_str(), &st) == -1)
        return std::string("unable to chdir: ") + std::strerror(errno);
    if (!S_ISDIR(st.st_mode))
        return std::string("unable to chdir: ") + std::strerror(ENOTDIR);
    bool normally_up = true;
    if (::stat((dir + "/down").c_str(), &st) == 0)
        normally_up = false;
    else if (errno != ENOENT)
        return std::string("unable to stat down: ") + std::strerror(errno);
    auto running = mta::supervise_running(dir);
    if (!running)
        return "unable to open supervise/ok: " + running.error().text();
    if (!*running) {
        if (::access((dir + "/supervise/ok").c_str(), F_OK) == -1)
            return "unable to open supervise/ok: " + std::string(std::strerror(ENOENT));
        return "supervise not running";
    }
    auto status = mta::read_status(dir);
    if (!status) {
        mta::Error e = status.error();
        if (e.errnum == 0)
            return std::string("unable to read supervise/status: ") + e.what;
        return std::string("unable to open supervise/status: ") + std::strerror(e.errnum);
    }
    return mta::describe_status(*status, normally_up, ::time(nullptr));
}

} // namespace

int main(int argc, char** argv)
{
    return mta::run_main("svstat", [&] {
        std::string out;
        for (int i = 1; i < argc; ++i)
            out += std::string(argv[i]) + ": " + status_of(argv[i]) + "\n";
        if (std::fputs(out.c_str(), stdout) == EOF || std::fflush(stdout) != 0)
            mta::log::fatal(
                mta::kExitTemp, "unable to write output", mta::Error::from_errno("write"));
        return mta::kExitOk;
    });
}
