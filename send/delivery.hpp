// delivery - the two delivery channels: per channel a queue of next attempts, one pass
// at a time through a message's channel file, concurrency slots, the spawn protocol
// (qmail-behaviour.md section 4) and what each result means for the message.
//
//     send::Deliveries d(config, log);
//     d.open(send::Channel::local, 1, 2, 10);        // command fd, result fd, slots
//     d.schedule(send::Channel::local, id, now);     // after preprocessing
//     for (;;) {
//         d.start(now);                              // due passes, free slots
//         d.add_poll(fds);  ppoll(...);  d.after_poll(fds, now);
//         for (auto id : d.take_done()) finish(id);  // no channel file left
//     }
//
// A pass opens local/N (or remote/N), reads its T (to do) and D (done) records in order
// and starts one delivery per T record while a slot is free; the slot number is the
// first byte of the command, and only one command is ever buffered per channel (written
// without blocking). On the remote channel a delivery takes a group of the message's
// recipients at one domain (groups.hpp; up to 100, one group command, one slot, one
// result per recipient in order); "starting delivery N" is logged per recipient and
// every recipient's result is handled alone as below. Results: K marks the record D in place (not
// fsynced, as qmail), D appends the report to bounce/N and marks D, Z leaves T for the next pass; a
// message past its lifetime turns Z into D. When a pass and all its deliveries are over, the
// channel file goes if every record is D (the message is "done" when no channel file is
// left), else the message is queued again for next_retry(). A channel that was never
// opened is on hold: its messages wait in its queue and are never bounced for that.
//
// Problems are log lines (warning: ... / alert: ...); nothing here exits. Losing a spawner
// (end of file or EPIPE on its pipes) sets spawner_lost(): the caller shuts down.
#pragma once

#include "activity_log.hpp"
#include "config.hpp"
#include "groups.hpp"
#include "schedule.hpp"

#include <memory>
#include <optional>
#include <poll.h>
#include <vector>

namespace send {

struct Job;
struct ChannelState;

class Deliveries {
public:
    Deliveries(Config const& config, ActivityLog& log);
    ~Deliveries();
    Deliveries(Deliveries const&) = delete;
    Deliveries& operator=(Deliveries const&) = delete;

    // The spawner of channel c is connected and takes concurrency deliveries at once
    // (0: the channel stays on hold). The descriptors are made non-blocking.
    void open(Channel c, int command_fd, int result_fd, unsigned concurrency);
    void schedule(Channel c, unsigned long id, time_t when);
    // SIGALRM: every queued message is due now.
    void run_all(time_t now);
    // No new passes or deliveries from now on; running ones finish.
    void set_exiting();

    // Starts what is due and fits: passes, deliveries, pending command bytes.
    void start(time_t now);
    void add_poll(std::vector<pollfd>& fds);
    void after_poll(std::vector<pollfd> const& fds, time_t now);
    // When start() has something to do next (now, if at once); nullopt: nothing timed.
    std::optional<time_t> wakeup(time_t now) const;

    bool running() const; // deliveries in flight on a live channel
    bool spawner_lost() const { return m_lost; }
    // Messages that have no channel file left since the last call.
    std::vector<unsigned long> take_done();

    // At exit: ends open passes (their messages are due again at now) and writes every
    // queued message's next attempt into its channel file's mtime.
    void save_schedule(time_t now);
    void log_status();

private:
    ChannelState& state(Channel c) { return *m_channels[index_of(c)]; }
    bool can_start(ChannelState const& ch) const;
    bool open_pass(ChannelState& ch, time_t now);
    void step_pass(ChannelState& ch, time_t now);
    void end_pass(ChannelState& ch, bool hit_eof, time_t now);
    void start_delivery(ChannelState& ch, std::vector<Recipient> recipients);
    void write_command(ChannelState& ch);
    void read_results(ChannelState& ch, time_t now);
    void take_result(ChannelState& ch, std::string_view record, time_t now);
    void apply_report(
        Job& job, Recipient const& r, unsigned long delivery, std::string_view report);
    void mark_done(Job& job, off_t offset);
    bool append_bounce(Job& job, std::string const& recipient, std::string const& report);
    void release(std::shared_ptr<Job> const& job, time_t now);
    void close_job(Job& job, time_t now);
    void keep_retry_time(Job const& job);
    void spawner_died(ChannelState& ch);

    Config const& m_config;
    ActivityLog& m_log;
    std::unique_ptr<ChannelState> m_channels[kChannels];
    unsigned long m_next_delivery = 1;
    bool m_exiting = false;
    bool m_lost = false;
    std::vector<unsigned long> m_done;
};

} // namespace send
