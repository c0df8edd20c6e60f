#include "scheduler.hpp"

#include "auto_conf.hpp"
#include "bounce.hpp"
#include "queue_paths.hpp"
#include "signal_wait.hpp"

#include <algorithm>
#include <fcntl.h>
#include <poll.h>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace send {

namespace {

constexpr time_t kTodoInterval = 1500; // scan todo/ at least this often
constexpr time_t kSleepForever = 86400; // longest wait in ppoll()
constexpr time_t kSleepSysfail = 123; // after a failing system call
constexpr size_t kTodoBatch = 100; // messages preprocessed (and fsynced) together
constexpr size_t kFinishBatch = 200; // finished messages per turn
// clean's requests waiting for a reply: two todo batches and a finish batch. A todo batch
// leaves room for a finish batch, so that finishing is not starved during a long scan.
constexpr size_t kCleanOutstanding = 2 * kTodoBatch + kFinishBatch;
constexpr size_t kTodoRoom = kTodoBatch + kFinishBatch;
constexpr time_t kCleanDrain = 10; // at exit: how long to wait for clean's replies
constexpr time_t kMessInterval = 76431; // qmail-send's SLEEP_CLEANUP: walk mess/ this often
constexpr size_t kMessBatch = 100; // names of mess/ looked at per turn
// Like a todo batch, a step of the walk leaves room for a finish batch.
constexpr size_t kMessRoom = kMessBatch + kFinishBatch;

bool exists(std::string const& path, bool& trouble)
{
    struct stat st;
    if (::stat(path.c_str(), &st) == 0)
        return true;
    if (errno != ENOENT)
        trouble = true;
    return false;
}

} // namespace

Scheduler::Scheduler(
    std::string root, Config config, ActivityLog& log, int clean_request_fd, int clean_reply_fd)
    : m_root(std::move(root))
    , m_config(std::move(config))
    , m_log(log)
    , m_deliveries(m_config, log)
    , m_clean(clean_request_fd, clean_reply_fd, kCleanOutstanding)
    , m_wait_mask(mta::catch_signals({ SIGTERM, SIGALRM, SIGHUP }))
{
}

void Scheduler::connect(Channel c, int command_fd, int result_fd, unsigned concurrency)
{
    m_deliveries.open(c, command_fd, result_fd, concurrency);
}

void Scheduler::recover(time_t now)
{
    for (int k = 0; k < mta::conf::kSplit; ++k) {
        std::string const dir = mta::hashed_dir(mta::kInfoDir, static_cast<unsigned long>(k));
        auto names = mta::list_directory(dir);
        while (!names) {
            m_log.line("alert: unable to opendir " + dir + ", sleeping...");
            m_log.flush();
            ::sleep(10);
            names = mta::list_directory(dir);
        }
        for (auto const& name : *names)
            if (auto id = mta::parse_message_number(name))
                readd(*id, now);
    }
}

// qmail-send's pqadd: a preprocessed message goes into the queue of each channel it has
// a file in, due at that file's mtime.
void Scheduler::readd(unsigned long id, time_t now)
{
    bool trouble = false;
    std::string failed;
    if (!exists(mta::hashed_path(mta::kInfoDir, id), trouble) && !trouble)
        return; // finished meanwhile
    if (!trouble && exists(mta::hashed_path(mta::kTodoDir, id), trouble))
        return; // preprocessing was interrupted: the todo scan does it again
    time_t when[kChannels] = { -1, -1 };
    for (Channel c : kAllChannels) {
        struct stat st;
        if (trouble)
            break;
        if (::stat(channel_path(c, id).c_str(), &st) == 0)
            when[index_of(c)] = st.st_mtime;
        else if (errno != ENOENT)
            trouble = true;
    }
    if (trouble) {
        m_log.line("warning: unable to stat the files of message " + number(id)
            + "; will try again later");
        m_recheck.push(now + kSleepSysfail, id);
        return;
    }
    for (Channel c : kAllChannels)
        if (when[index_of(c)] >= 0)
            m_deliveries.schedule(c, id, when[index_of(c)]);
    if (when[0] < 0 && when[1] < 0)
        m_done.push_back(id);
}

int Scheduler::run()
{
    m_deliveries.log_status();
    time_t now = 0;
    for (;;) {
        now = ::time(nullptr);
        take_signals(now);
        check_clean();
        if (m_deliveries.spawner_lost() || m_clean_lost)
            begin_exit();
        m_deliveries.start(now);
        preprocess_some(now);
        finish_some(now);
        scan_mess(now);
        check_clean();
        m_log.flush();
        // After finish_some: a message whose last delivery ended during the exit is
        // finished in this run (its bounce, "end msg N"), not left to the next start.
        if (m_exiting && !m_deliveries.running())
            break;
        wait(now);
    }
    now = drain_clean();
    m_deliveries.save_schedule(now);
    m_log.line("status: exiting");
    m_log.flush();
    return 0;
}

void Scheduler::take_signals(time_t now)
{
    if (mta::take_signal(SIGTERM))
        begin_exit();
    if (mta::take_signal(SIGALRM)) {
        m_deliveries.run_all(now);
        m_later.reschedule_all(now);
    }
    if (mta::take_signal(SIGHUP)) {
        std::string problem;
        if (!reload_routing(m_root, m_config.routing, problem))
            m_log.line("alert: unable to reread controls: " + problem);
    }
}

void Scheduler::begin_exit()
{
    if (m_exiting)
        return;
    m_exiting = true;
    m_deliveries.set_exiting();
}

void Scheduler::reopen_trigger()
{
    m_trigger = mta::Fd();
    int fd = ::open(std::string(mta::kTriggerPath).c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd == -1)
        m_log.line("warning: unable to open lock/trigger; todo/ is scanned every 25 minutes");
    m_trigger = mta::Fd(fd);
}

void Scheduler::preprocess_some(time_t now)
{
    if (m_exiting || !m_clean.has_room(kTodoRoom))
        return;
    if (!m_todo.active()) {
        if (!m_trigger_pulled && now < m_next_scan)
            return;
        // Reopened before the scan: a write from now on makes the fifo readable again.
        reopen_trigger();
        m_trigger_pulled = false;
        m_next_scan = now + kTodoInterval;
        m_todo.start();
    }
    std::vector<unsigned long> ids = m_todo.next(kTodoBatch, m_log);
    // A todo/N whose request is out is preprocessed already: its reply schedules it.
    std::erase_if(ids, [&](unsigned long id) { return m_clean.todo_pending(id); });
    if (ids.empty())
        return;
    for (auto const& m : preprocess(ids, m_config.routing, m_log))
        m_clean.queue_request(CleanLink::todo(m));
}

// clean's replies, in request order. A message is scheduled only after clean removed its
// todo/N (qmail's rule: a crash must never let a message be delivered and then
// preprocessed again); otherwise todo/N is still there and the next scan preprocesses the
// message again. A finished message's "end msg N" waits for clean's reply to foop/N, so
// that the log line tells that mess/N is gone (as when send waited for clean). An
// orphan's reply logs nothing but a failure: it is not the end of a message of this run.
void Scheduler::take_answers(std::vector<CleanLink::Answer> const& answers, time_t now)
{
    for (auto const& a : answers) {
        bool const todo = a.request.kind == CleanLink::Request::Kind::todo;
        if (a.request.kind == CleanLink::Request::Kind::foop)
            m_log.line("end msg " + number(a.request.message.id));
        if (a.reply != '+') {
            m_log.line("warning: clean unable to clean up " + CleanLink::text(a.request));
            continue;
        }
        if (!todo)
            continue;
        Preprocessed const& m = a.request.message;
        for (Channel c : kAllChannels)
            if (m.has[index_of(c)])
                m_deliveries.schedule(c, m.id, now);
        if (!m.has[0] && !m.has[1])
            m_done.push_back(m.id);
    }
}

// At exit no new request goes out; the replies to those already queued are awaited (at
// most kCleanDrain seconds), so that a message whose todo/N clean removed is scheduled and
// its schedule saved. What stays unanswered is for recover() at the next start: todo/N
// still there is preprocessed again, info/N without todo/N is scheduled from its channel
// files. Returns the time after the wait.
time_t Scheduler::drain_clean()
{
    std::vector<CleanLink::Answer> const answers = m_clean.drain(::time(nullptr) + kCleanDrain);
    time_t const now = ::time(nullptr);
    take_answers(answers, now);
    check_clean();
    end_abandoned();
    return now;
}

// Requests clean will never answer: a finished message still gets its "end msg N" (its
// info/N is gone; nothing would log it later).
void Scheduler::end_abandoned()
{
    for (auto const& r : m_clean.abandon())
        if (r.kind == CleanLink::Request::Kind::foop)
            m_log.line("end msg " + number(r.message.id));
}

void Scheduler::check_clean()
{
    if (!m_clean.lost() || m_clean_lost)
        return;
    m_log.line("alert: oh no! lost clean connection! dying...");
    m_clean_lost = true;
    end_abandoned();
    begin_exit();
}

// qmail-send's messdone: a message with no channel file left gets its bounce and loses
// info/N; clean is then asked to remove mess/N (after the info/ directory is synced: a
// crash must never leave info/N without mess/N), and its reply logs "end msg N".
void Scheduler::finish_some(time_t now)
{
    for (auto id : m_deliveries.take_done())
        m_done.push_back(id);
    while (!m_later.empty() && m_later.top().when <= now)
        m_done.push_back(m_later.pop().id);
    while (!m_recheck.empty() && m_recheck.top().when <= now)
        readd(m_recheck.pop().id, now);
    if (m_done.empty() || m_clean_lost || !m_clean.has_room(kFinishBatch))
        return;
    size_t const take = std::min(m_done.size(), kFinishBatch);
    std::vector<unsigned long> ids(m_done.end() - static_cast<long>(take), m_done.end());
    m_done.resize(m_done.size() - take);

    std::vector<unsigned long> finished;
    for (auto id : ids) {
        switch (finish_one(id)) {
        case Finish::gone:
            break;
        case Finish::later:
            m_later.push(now + kSleepSysfail, id);
            break;
        case Finish::finished:
            finished.push_back(id);
            break;
        }
    }
    std::set<std::string> dirs;
    for (auto id : finished)
        dirs.insert(mta::hashed_dir(mta::kInfoDir, id));
    std::set<std::string> failed;
    for (auto const& dir : dirs)
        if (!mta::fsync_dir(dir)) {
            m_log.line("warning: trouble fsyncing " + dir);
            failed.insert(dir);
        }
    for (auto id : finished) {
        if (failed.count(mta::hashed_dir(mta::kInfoDir, id)))
            m_log.line("end msg " + number(id)); // mess/N stays: clean is not asked
        else
            m_clean.queue_request(CleanLink::foop(id)); // "end msg N" with the reply
    }
}

// qmail-send's cleanup_do, one bounded step per turn. A message whose foop/N is out
// (finished a moment ago) is left to that request.
void Scheduler::scan_mess(time_t now)
{
    if (m_exiting || m_clean_lost || !m_clean.has_room(kMessRoom))
        return;
    if (!m_mess.active()) {
        if (now < m_next_mess_walk)
            return;
        m_next_mess_walk = now + kMessInterval;
        m_mess.start();
    }
    for (auto id : m_mess.next(kMessBatch, now, m_log)) {
        if (m_clean.foop_pending(id))
            continue;
        m_log.line("warning: " + mta::hashed_path(mta::kMessDir, id)
            + " has no info or todo file and is 36 hours old; asking clean to remove it");
        m_clean.queue_request(CleanLink::orphan(id));
    }
}

Scheduler::Finish Scheduler::finish_one(unsigned long id)
{
    bool trouble = false;
    for (Channel c : kAllChannels)
        if (exists(channel_path(c, id), trouble))
            return Finish::gone; // not done after all
    std::string const info = mta::hashed_path(mta::kInfoDir, id);
    if (!trouble && exists(mta::hashed_path(mta::kTodoDir, id), trouble))
        return Finish::gone;
    if (!trouble && !exists(info, trouble) && !trouble)
        return Finish::gone; // finished already
    if (trouble) {
        m_log.line("warning: unable to stat the files of message " + number(id)
            + "; will try again later");
        return Finish::later;
    }
    if (!inject_bounce(m_root, m_config, id, ::time(nullptr), m_log))
        return Finish::later;
    if (::unlink(info.c_str()) == -1) {
        m_log.line("warning: unable to unlink " + info + "; will try again later");
        return Finish::later;
    }
    return Finish::finished;
}

void Scheduler::wait(time_t now)
{
    std::vector<pollfd> fds;
    int trigger = -1;
    if (!m_exiting && !m_todo.active() && m_trigger.valid()) {
        trigger = static_cast<int>(fds.size());
        fds.push_back({ m_trigger.get(), POLLIN, 0 });
    }
    m_deliveries.add_poll(fds);
    m_clean.add_poll(fds);

    std::optional<time_t> wake = m_deliveries.wakeup(now);
    auto earlier = [&](time_t t) {
        if (!wake || t < *wake)
            wake = t;
    };
    if (!m_exiting && m_clean.has_room(kTodoRoom))
        earlier(m_todo.active() || m_trigger_pulled ? now : m_next_scan);
    if (!m_done.empty() && !m_clean_lost && m_clean.has_room(kFinishBatch))
        earlier(now);
    if (!m_exiting && !m_clean_lost && m_clean.has_room(kMessRoom))
        earlier(m_mess.active() ? now : m_next_mess_walk);
    if (!m_later.empty())
        earlier(m_later.top().when);
    if (!m_recheck.empty())
        earlier(m_recheck.top().when);
    time_t const seconds = wake ? std::clamp<time_t>(*wake - now, 0, kSleepForever) : kSleepForever;
    timespec const timeout { seconds, 0 };

    int r = ::ppoll(fds.data(), fds.size(), &timeout, &m_wait_mask);
    if (r == -1) {
        if (errno != EINTR)
            m_log.line("warning: trouble in poll");
        return;
    }
    if (trigger >= 0 && fds[static_cast<size_t>(trigger)].revents != 0)
        m_trigger_pulled = true;
    time_t const after = ::time(nullptr);
    m_deliveries.after_poll(fds, after);
    take_answers(m_clean.after_poll(fds), after);
}

} // namespace send
