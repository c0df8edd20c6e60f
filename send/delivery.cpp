#include "delivery.hpp"

#include "buffer.hpp"
#include "dsn.hpp"
#include "fd.hpp"
#include "queue_paths.hpp"
#include "spawn_protocol.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <utility>

namespace send {

namespace {

constexpr size_t kReportMax = 10000; // qmail-send's REPORTMAX: longer results are cut
constexpr size_t kMaxRecord = 65536; // a rewritten address and its letter, with room
constexpr time_t kSleepSysfail = 123; // after a failing system call, as qmail-send
constexpr int kTurnBudget = 1000; // records read and passes opened per channel and turn
constexpr std::string_view kTooLong
    = "I'm not going to try again; this message has been in the queue too long.\n";

} // namespace

// One message on one channel, from the start of a pass until the pass and every
// delivery it started are over.
struct Job {
    unsigned long id = 0;
    Channel channel = Channel::local;
    mta::Fd file; // local/N or remote/N, read by the pass and marked in place
    std::string sender;
    time_t retry = 0; // next attempt if something is left to do
    bool dying = false; // past queuelifetime: deferrals become failures
    bool verp = false; // each recipient gets its own sender: no recipient groups
    int refs = 1; // the pass, plus one per running delivery
    int unfinished = 0; // T records handed out and not yet K or D
    bool hit_eof = false; // the pass read the whole file
};

struct Slot {
    std::shared_ptr<Job> job; // null: free
    std::vector<Recipient> recipients; // one, or a group in the command's order
    std::vector<unsigned long> deliveries; // the numbers in log lines, one per recipient
    size_t next = 0; // the recipient the next result is for
};

struct ChannelState {
    explicit ChannelState(Channel c)
        : channel(c)
    {
    }
    Channel channel;
    bool alive = false; // connected to a spawner with at least one slot
    int command_fd = -1;
    int result_fd = -1;
    std::vector<Slot> slots;
    unsigned used = 0;
    RetryQueue queue;
    std::shared_ptr<Job> pass; // the message being read, if any
    std::unique_ptr<mta::Reader> reader;
    off_t pos = 0; // offset of the next record in the pass's file
    bool read_all = false; // the pass reached the end of its file (remote: groups left)
    RecipientGroups groups; // remote: the pass's T records waiting for a delivery
    std::string command; // the one command not yet fully written
    size_t command_pos = 0;
    std::string result; // the result record being received
    int poll_read = -1; // indices into the pollfd vector of the last add_poll()
    int poll_write = -1;
};

Deliveries::Deliveries(Config const& config, ActivityLog& log)
    : m_config(config)
    , m_log(log)
{
    for (Channel c : kAllChannels)
        m_channels[index_of(c)] = std::make_unique<ChannelState>(c);
}

Deliveries::~Deliveries() = default;

void Deliveries::open(Channel c, int command_fd, int result_fd, unsigned concurrency)
{
    ChannelState& ch = state(c);
    ch.command_fd = command_fd;
    ch.result_fd = result_fd;
    ch.slots.resize(std::min(concurrency, 255u));
    ch.alive = !ch.slots.empty();
    (void)mta::set_nonblocking(command_fd, true);
    (void)mta::set_nonblocking(result_fd, true);
}

void Deliveries::schedule(Channel c, unsigned long id, time_t when)
{
    state(c).queue.push(when, id);
}

void Deliveries::run_all(time_t now)
{
    for (auto& ch : m_channels)
        ch->queue.reschedule_all(now);
}

void Deliveries::set_exiting()
{
    m_exiting = true;
}

bool Deliveries::can_start(ChannelState const& ch) const
{
    return !m_exiting && ch.alive && ch.used < ch.slots.size() && ch.command.empty();
}

void Deliveries::start(time_t now)
{
    for (auto& chp : m_channels) {
        ChannelState& ch = *chp;
        for (int budget = kTurnBudget; budget > 0 && can_start(ch); --budget) {
            if (!ch.pass) {
                if (!open_pass(ch, now))
                    break;
            } else {
                step_pass(ch, now);
            }
        }
    }
}

// Takes the next due message off the channel's queue and opens its channel file; false
// when nothing is due.
bool Deliveries::open_pass(ChannelState& ch, time_t now)
{
    if (ch.queue.empty() || ch.queue.top().when > now)
        return false;
    unsigned long const id = ch.queue.pop().id;
    std::string const path = channel_path(ch.channel, id);
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd == -1 && errno == ENOENT) {
        m_done.push_back(id); // nothing left on this channel; finishing checks the rest
        return true;
    }
    auto info = read_info(id);
    if (fd == -1 || !info) {
        if (fd != -1)
            ::close(fd);
        m_log.line("warning: trouble opening " + path + "; will try again later");
        ch.queue.push(now + kSleepSysfail, id);
        return true;
    }
    auto job = std::make_shared<Job>();
    job->id = id;
    job->channel = ch.channel;
    job->file = mta::Fd(fd);
    job->sender = std::move(info->sender);
    job->retry = next_retry(info->birth, now, ch.channel);
    job->dying = is_dying(info->birth, now, m_config.queuelifetime);
    job->verp = verp_sender(job->sender, "box@domain") != job->sender;
    ch.pass = std::move(job);
    ch.reader = std::make_unique<mta::Reader>(fd);
    ch.pos = 0;
    ch.read_all = false;
    ch.groups.clear();
    return true;
}

// One step of the open pass. Local: reads one record; T starts a delivery, D is skipped.
// Remote: starts a group of recipients when one is ready (groups.hpp), else reads one
// record and adds a T to the groups; the pass ends when the file is read and no group
// is left.
void Deliveries::step_pass(ChannelState& ch, time_t now)
{
    bool const remote = ch.channel == Channel::remote;
    if (remote) {
        if (auto group = ch.groups.take(ch.read_all)) {
            start_delivery(ch, std::move(*group));
            return;
        }
        if (ch.read_all) {
            end_pass(ch, true, now);
            return;
        }
    }
    std::string record;
    auto got = ch.reader->get_line(record, kMaxRecord, '\0');
    if (!got) {
        m_log.line("warning: trouble reading " + channel_path(ch.channel, ch.pass->id)
            + "; will try again later");
        end_pass(ch, false, now);
        return;
    }
    if (*got == mta::LineStatus::eof || *got == mta::LineStatus::partial) {
        if (remote)
            ch.read_all = true; // the next steps start the groups left
        else
            end_pass(ch, true, now);
        return;
    }
    if (*got == mta::LineStatus::too_long || record.empty()
        || (record[0] != 'T' && record[0] != 'D')) {
        m_log.line(
            "warning: unknown record type in " + channel_path(ch.channel, ch.pass->id) + "!");
        end_pass(ch, false, now);
        return;
    }
    off_t const at = ch.pos;
    ch.pos += static_cast<off_t>(record.size() + 1);
    if (record[0] != 'T')
        return;
    if (remote)
        ch.groups.add(at, record.substr(1), ch.pass->verp);
    else
        start_delivery(ch, { Recipient { at, record.substr(1) } });
}

// Recipients still waiting in a group are not tried in this pass: they stay T.
void Deliveries::end_pass(ChannelState& ch, bool hit_eof, time_t now)
{
    std::shared_ptr<Job> job = std::move(ch.pass);
    ch.reader.reset();
    ch.groups.clear();
    job->hit_eof = hit_eof;
    release(job, now);
}

// One command for recipients (one, or a group of one message and one domain): the
// qmail form for one, the group form for more; one slot either way.
void Deliveries::start_delivery(ChannelState& ch, std::vector<Recipient> recipients)
{
    unsigned slot = 0;
    while (ch.slots[slot].job)
        ++slot;
    Job& job = *ch.pass;
    if (recipients.size() == 1) {
        std::string const& r = recipients.front().address;
        ch.command = mta::encode_command(slot, message_ref(job.id), verp_sender(job.sender, r), r);
    } else {
        std::vector<std::string> addresses;
        addresses.reserve(recipients.size());
        for (auto const& r : recipients)
            addresses.push_back(r.address);
        ch.command = mta::encode_group(slot, message_ref(job.id), job.sender, addresses);
    }
    ch.command_pos = 0;

    Slot& s = ch.slots[slot];
    s.deliveries.clear();
    for (auto const& r : recipients) {
        s.deliveries.push_back(m_next_delivery++);
        m_log.line("starting delivery " + number(s.deliveries.back()) + ": msg " + number(job.id)
            + " to " + std::string(channel_name(ch.channel)) + " " + log_safe(r.address));
    }
    s.job = ch.pass;
    s.next = 0;
    job.unfinished += static_cast<int>(recipients.size());
    s.recipients = std::move(recipients);
    ++job.refs;
    ++ch.used;
    log_status();
    write_command(ch);
}

void Deliveries::write_command(ChannelState& ch)
{
    while (ch.command_pos < ch.command.size()) {
        ssize_t n = ::write(
            ch.command_fd, ch.command.data() + ch.command_pos, ch.command.size() - ch.command_pos);
        if (n > 0) {
            ch.command_pos += static_cast<size_t>(n);
            continue;
        }
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return; // the rest when poll says the pipe has room
        spawner_died(ch);
        return;
    }
    ch.command.clear();
    ch.command_pos = 0;
}

void Deliveries::read_results(ChannelState& ch, time_t now)
{
    char buf[4096];
    while (ch.alive) {
        ssize_t n = ::read(ch.result_fd, buf, sizeof buf);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            spawner_died(ch);
            return;
        }
        for (ssize_t i = 0; i < n; ++i) {
            char const c = buf[i];
            // The first byte is the slot number, which may be 0: only a later NUL ends it.
            if (c == '\0' && !ch.result.empty()) {
                std::string record = std::move(ch.result);
                ch.result.clear();
                take_result(ch, record, now);
            } else if (ch.result.size() < kReportMax) {
                ch.result += c;
            }
        }
    }
}

void Deliveries::take_result(ChannelState& ch, std::string_view record, time_t now)
{
    unsigned const slot = static_cast<unsigned char>(record[0]);
    if (slot >= ch.slots.size() || !ch.slots[slot].job) {
        m_log.line("warning: internal error: delivery report out of range");
        return;
    }
    Slot& s = ch.slots[slot];
    Job& job = *s.job;
    Recipient const& r = s.recipients[s.next];
    unsigned long const delivery = s.deliveries[s.next];
    ++s.next;
    apply_report(job, r, delivery, record.substr(1));
    if (s.next < s.recipients.size())
        return; // the group's slot is free after its last result
    std::shared_ptr<Job> done = std::move(s.job);
    s = Slot {};
    --ch.used;
    release(done, now);
    log_status();
}

// One recipient's report (a letter, then its text): the log line, and the recipient
// marked done on success or on a failure that is in the bounce file.
void Deliveries::apply_report(
    Job& job, Recipient const& r, unsigned long delivery, std::string_view report)
{
    char letter = report.empty() ? '\0' : report[0];
    std::string text(report.size() > 1 ? report.substr(1) : std::string_view());
    if (letter == 'Z' && job.dying) {
        letter = 'D';
        if (!text.empty() && text.back() != '\n')
            text += '\n';
        text += kTooLong;
    }
    std::string const prefix = "delivery " + number(delivery) + ": ";
    switch (letter) {
    case 'K':
        m_log.line(prefix + "success: " + log_safe(text));
        mark_done(job, r.offset);
        --job.unfinished;
        break;
    case 'Z':
        m_log.line(prefix + "deferral: " + log_safe(text));
        break;
    case 'D':
        m_log.line(prefix + "failure: " + log_safe(text));
        if (append_bounce(job, r.address, text)) {
            mark_done(job, r.offset);
            --job.unfinished;
        }
        break;
    default:
        m_log.line(prefix + "report mangled, will defer");
    }
}

void Deliveries::mark_done(Job& job, off_t offset)
{
    // Not fsynced, as qmail: a crash may repeat the delivery, never lose it.
    if (::pwrite(job.file.get(), "D", 1, offset) != 1)
        m_log.line("warning: trouble marking " + channel_path(job.channel, job.id)
            + "; message will be delivered twice!");
}

bool Deliveries::append_bounce(Job& job, std::string const& recipient, std::string const& report)
{
    std::string const path = mta::flat_path(mta::kBounceDir, job.id);
    std::string const text = bounce_paragraph(
        strip_virtual_prefix(m_config.routing, recipient), job.channel == Channel::remote, report);
    auto fd = mta::open_append(path, 0600);
    if (fd && mta::write_all(fd->get(), text) && fd->close())
        return true;
    // The recipient stays T: it is tried again, and fails again, at the next pass.
    m_log.line("warning: unable to append to " + path + "; will try again later");
    return false;
}

// The next attempt into the channel file's mtime at once, as save_schedule() does for
// every queued message at exit: mailctl queue shows it while send runs, and after a
// crash the message keeps its schedule instead of being tried again at once.
void Deliveries::keep_retry_time(Job const& job)
{
    struct timespec const times[2] = { { job.retry, 0 }, { job.retry, 0 } };
    if (::futimens(job.file.get(), times) == -1)
        m_log.line("warning: unable to utime " + channel_path(job.channel, job.id)
            + "; after a crash it would be retried too soon");
}

void Deliveries::release(std::shared_ptr<Job> const& job, time_t now)
{
    if (--job->refs == 0)
        close_job(*job, now);
}

// The pass and every delivery of the job are over: the channel file goes when nothing is
// left in it, else the message waits for its next attempt.
void Deliveries::close_job(Job& job, time_t now)
{
    ChannelState& ch = state(job.channel);
    if (!job.hit_eof || job.unfinished > 0) {
        keep_retry_time(job);
        ch.queue.push(job.retry, job.id);
        return;
    }
    std::string const path = channel_path(job.channel, job.id);
    if (::unlink(path.c_str()) == -1) {
        m_log.line("warning: unable to unlink " + path + "; will try again later");
        ch.queue.push(now + kSleepSysfail, job.id);
        return;
    }
    Channel const other = job.channel == Channel::local ? Channel::remote : Channel::local;
    std::string const other_path = channel_path(other, job.id);
    struct stat st;
    if (::stat(other_path.c_str(), &st) == 0)
        return; // the other channel finishes the message
    if (errno != ENOENT)
        m_log.line("warning: unable to stat " + other_path);
    m_done.push_back(job.id);
}

void Deliveries::spawner_died(ChannelState& ch)
{
    if (!ch.alive)
        return;
    m_log.line("alert: oh no! lost spawn connection! dying...");
    ch.alive = false;
    m_lost = true;
    m_exiting = true;
}

void Deliveries::add_poll(std::vector<pollfd>& fds)
{
    for (auto& ch : m_channels) {
        ch->poll_read = ch->poll_write = -1;
        if (!ch->alive)
            continue;
        ch->poll_read = static_cast<int>(fds.size());
        fds.push_back({ ch->result_fd, POLLIN, 0 });
        if (!ch->command.empty()) {
            ch->poll_write = static_cast<int>(fds.size());
            fds.push_back({ ch->command_fd, POLLOUT, 0 });
        }
    }
}

void Deliveries::after_poll(std::vector<pollfd> const& fds, time_t now)
{
    for (auto& ch : m_channels) {
        if (ch->poll_write >= 0 && fds[ch->poll_write].revents != 0 && ch->alive)
            write_command(*ch);
        if (ch->poll_read >= 0 && fds[ch->poll_read].revents != 0 && ch->alive)
            read_results(*ch, now);
    }
}

std::optional<time_t> Deliveries::wakeup(time_t now) const
{
    std::optional<time_t> best;
    for (auto const& ch : m_channels) {
        if (!can_start(*ch))
            continue;
        if (ch->pass)
            return now;
        if (!ch->queue.empty() && (!best || ch->queue.top().when < *best))
            best = ch->queue.top().when;
    }
    return best;
}

bool Deliveries::running() const
{
    for (auto const& ch : m_channels)
        if (ch->alive && ch->used > 0)
            return true;
    return false;
}

std::vector<unsigned long> Deliveries::take_done()
{
    return std::exchange(m_done, {});
}

void Deliveries::save_schedule(time_t now)
{
    for (auto& ch : m_channels) {
        if (ch->pass) {
            ch->pass->retry = std::min(ch->pass->retry, now); // some records were not tried
            end_pass(*ch, false, now);
        }
    }
    for (auto& ch : m_channels) {
        for (auto const& e : ch->queue.entries()) {
            std::string const path = channel_path(ch->channel, e.id);
            struct timeval const times[2] = { { e.when, 0 }, { e.when, 0 } };
            if (::utimes(path.c_str(), times) == -1 && errno != ENOENT)
                m_log.line(
                    "warning: unable to utime " + path + "; message will be retried too soon");
        }
    }
}

void Deliveries::log_status()
{
    std::string line = "status:";
    for (auto const& ch : m_channels)
        line += " " + std::string(channel_name(ch->channel)) + " " + number(ch->used) + "/"
            + number(ch->slots.size());
    if (m_exiting)
        line += " exitasap";
    m_log.line(line);
}

} // namespace send
