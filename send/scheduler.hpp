// scheduler - send's main loop: new messages from todo/, deliveries, finished messages,
// signals, and the orderly exit (qmail-send's main, pass_do, todo_do and messdone).
//
//     send::Scheduler s(root, std::move(config), log, 5, 6);  // clean on fds 5 and 6
//     s.connect(send::Channel::local, 1, 2, 10);              // lspawn and its slots
//     s.recover(::time(nullptr));                            // what the last run left
//     return s.run();                                        // until SIGTERM: 0
//
// One turn of the loop: signals (HUP rereads locals and virtualdomains, ALRM makes every
// queued message due, TERM starts the exit), due passes and deliveries, one batch of
// todo/ (when the trigger fifo was written to, or every 1500 s), one batch of finished
// messages (bounce, "end msg N", info/N removed, clean asked to remove mess/N), one step
// of the walk over mess/ while one is on (at start, then every 76431 s: orphaned mess
// files, mess_scan.hpp, each logged and handed to clean as foop/N), the log written
// out, then ppoll() on the trigger, the spawner pipes and clean's pipes until the next
// timed event. The constructor blocks SIGTERM, SIGALRM and SIGHUP; they arrive only
// inside ppoll().
//
// clean is asked without waiting (clean_link.hpp): a preprocessed message is scheduled
// only when clean's '+' for its todo/N arrives (read after ppoll()); at most
// kCleanOutstanding requests wait, and no new batch starts that could pass the bound.
//
// Exit: no new preprocessing after TERM; deliveries in flight finish; then up to 10 s for
// clean's replies to requests already queued; every queued message's next attempt goes
// into its channel file's mtime (recover() reads it back); "status: exiting". Losing a
// spawner or clean exits the same way.
#pragma once

#include "activity_log.hpp"
#include "clean_link.hpp"
#include "config.hpp"
#include "delivery.hpp"
#include "fd.hpp"
#include "mess_scan.hpp"
#include "todo.hpp"

#include <csignal>
#include <string>
#include <vector>

namespace send {

class Scheduler {
public:
    Scheduler(std::string root, Config config, ActivityLog& log, int clean_request_fd,
        int clean_reply_fd);

    // The spawner of channel c, with its slots; a channel not connected is on hold.
    void connect(Channel c, int command_fd, int result_fd, unsigned concurrency);
    // Schedules every preprocessed message (info/N without todo/N) from its channel
    // files' mtimes; one with neither file is finished.
    void recover(time_t now);
    // The main loop; returns the exit code (0) after SIGTERM.
    int run();

private:
    void take_signals(time_t now);
    void begin_exit();
    void preprocess_some(time_t now);
    void finish_some(time_t now);
    void scan_mess(time_t now);
    enum class Finish { gone, later, finished };
    Finish finish_one(unsigned long id);
    void readd(unsigned long id, time_t now);
    void take_answers(std::vector<CleanLink::Answer> const& answers, time_t now);
    void check_clean();
    void end_abandoned();
    time_t drain_clean();
    void reopen_trigger();
    void wait(time_t now);

    std::string m_root;
    Config m_config;
    ActivityLog& m_log;
    Deliveries m_deliveries;
    CleanLink m_clean;
    bool m_clean_lost = false; // the alert is logged
    bool m_exiting = false;
    TodoScan m_todo;
    mta::Fd m_trigger;
    bool m_trigger_pulled = true; // scan todo/ at once on start
    time_t m_next_scan = 0;
    MessScan m_mess;
    time_t m_next_mess_walk = 0; // walk mess/ at once on start
    std::vector<unsigned long> m_done; // to finish
    RetryQueue m_later; // finishing failed: try again
    RetryQueue m_recheck; // a stat failed while scheduling: try again
    sigset_t m_wait_mask; // the signal mask inside ppoll()
};

} // namespace send
