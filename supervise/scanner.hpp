// scanner - the body of `svscan DIR` (daemontools 0.76 semantics plus a clean stop):
// one `supervise NAME` per service directory, and for a NAME with a log/ directory a
// `supervise log` in NAME reading a pipe that lives as long as svscan knows the service,
// so no log line is lost when either side restarts. Rescans every 5 seconds and at once
// on SIGALRM. On SIGTERM every service is brought down (`svc -dx`); once a service's
// supervise has gone, svscan closes its end of the log pipe and tells the log's
// supervise to exit (`x`), so the logger writes everything and exits at end of input
// (5 seconds later it is told `dx` in case some process still holds the pipe).
//
//     sv::Scanner scanner(supervise_path);     // ROOT/bin/supervise
//     scanner.setup_or_die(dir);               // chdir, DIR/.svscan.lock, signals
//     return scanner.run();                    // until SIGTERM and everything stopped
//
// DIR/.svscan.lock is locked (flock) while svscan runs and holds its pid, so a second
// svscan on the same directory refuses to run and mailctl finds the running one.
#pragma once

#include "fd.hpp"

#include <csignal>
#include <ctime>
#include <string>
#include <sys/stat.h>
#include <sys/types.h>
#include <vector>

namespace sv {

inline constexpr const char* kScanLock = ".svscan.lock";

class Scanner {
public:
    explicit Scanner(std::string supervise_path)
        : m_supervise(std::move(supervise_path))
    {
    }

    void setup_or_die(std::string const& dir);
    int run();

private:
    struct Service {
        dev_t dev = 0;
        ino_t ino = 0;
        std::string name;
        bool active = false;
        bool has_log = false;
        pid_t pid = 0;
        pid_t log_pid = 0;
        mta::Pipe pipe; // valid when has_log
        // During shutdown:
        bool told_down = false;
        bool told_log = false;
        bool told_log_down = false;
        time_t log_deadline = 0;
    };

    void scan();
    void start(std::string const& name);
    Service* add_service(std::string const& name, struct stat const& dir);
    void start_supervise(Service& s);
    void start_log(Service& s);
    void reap();
    void shutdown();
    bool shutdown_step(time_t now);

    std::string m_supervise;
    std::string m_dir;
    mta::Fd m_lock;
    std::vector<Service> m_services;
    sigset_t m_wait_mask {};
};

} // namespace sv
