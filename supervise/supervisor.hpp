// supervisor - the body of `supervise DIR` (daemontools 0.76 semantics): runs DIR/run,
// starts it again when it exits (at most once a second), obeys the control fifo, and
// keeps supervise/status byte-compatible with daemontools (lib/service_status.hpp).
//
//     sv::Supervisor s(dir);               // dir as given, for messages
//     s.setup_or_die();                    // chdir, lock, fifos, first status
//     return s.run();                      // until 'x' and the service is down
//
// Files in DIR/supervise/: lock (flock, held while supervise runs), control (fifo of
// command bytes u d o p c h a i t k x), ok (fifo with a reader while supervise runs),
// status (18 bytes, written as status.new and renamed), and, ours only, restarts (the
// decimal number of times run was started again after it exited on its own, not after
// svc -t, -k or -i asked it to end).
// Failures during setup are fatal (111, one line on stderr); later ones are warnings.
#pragma once

#include "fd.hpp"

#include <csignal>
#include <ctime>
#include <string>
#include <sys/types.h>

namespace sv {

class Supervisor {
public:
    explicit Supervisor(std::string dir)
        : m_dir(std::move(dir))
    {
    }

    void setup_or_die();
    // Returns the exit code (0) once told to exit ('x') with the service down.
    int run();

private:
    void handle_command(char c);
    void bring_down();
    void announce_and_start();
    void set_paused(bool paused);
    void reap();
    void try_start();
    void pid_change();
    void announce();
    void write_restarts();
    void signal_child(int sig);
    int poll_timeout_ms() const;

    std::string m_dir;
    mta::Fd m_lock;
    mta::Fd m_control;
    mta::Fd m_control_write; // keeps the fifo open, so reads never see end of file
    mta::Fd m_ok;
    pid_t m_pid = 0;
    bool m_want = true; // false: run once ('o')
    bool m_want_up = true;
    bool m_paused = false;
    bool m_exit = false;
    bool m_start_due = false; // start run at m_start_at
    struct timespec m_changed { };
    struct timespec m_started { }; // CLOCK_MONOTONIC of the last start
    struct timespec m_start_at { };
    unsigned long m_restarts = 0;
    bool m_end_asked = false; // svc -t, -k or -i signalled the running service
    sigset_t m_wait_mask {};
};

} // namespace sv
