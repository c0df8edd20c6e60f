#include "spawn_driver.hpp"

#include "auto_conf.hpp"
#include "env.hpp"
#include "fd.hpp"
#include "install_root.hpp"
#include "privs.hpp"

#include <algorithm>
#include <csignal>
#include <optional>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mta {

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kReadChunk = 4096;
// Without a pidfd (an old kernel, no descriptors left) a child is polled this often.
constexpr int kReapPollMs = 100;

// write_all that also waits out EAGAIN, should send have made the pipe non-blocking.
bool write_blocking(int fd, std::string_view data)
{
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n == -1 && errno == EAGAIN) {
            pollfd p { fd, POLLOUT, 0 };
            (void)::poll(&p, 1, -1);
            continue;
        }
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

// One delivery in progress.
struct Slot {
    bool used = false;
    pid_t pid = -1; // -1 once reaped
    Fd pidfd; // readable when the child has exited; invalid without pidfd
    Fd output; // read end, non-blocking; closed at end of file
    std::string text;
    size_t limit = 0; // output kept: the report limit, times the recipients of a group
    bool cut = false;
    ExitStatus status;
    Clock::time_point exited_at;
    // A group: per recipient its refusal, or nullopt for a result from the delivery.
    bool group = false;
    std::vector<std::optional<std::string>> results;
};

// The results of a group in order: each refusal in place, the delivery's results (or ""
// when it gave too few) in the other places.
std::vector<std::string> merge_results(
    std::vector<std::optional<std::string>> const& refusals, std::vector<std::string> delivered)
{
    std::vector<std::string> out;
    size_t next = 0;
    for (auto const& r : refusals) {
        if (r)
            out.push_back(*r);
        else
            out.push_back(next < delivered.size() ? std::move(delivered[next++]) : std::string());
    }
    return out;
}

class Spawner {
public:
    Spawner(SpawnHook& hook, SpawnerOptions const& options, int in_fd, int out_fd)
        : m_hook(hook)
        , m_options(options)
        , m_in(in_fd)
        , m_out(out_fd)
        , m_slots(options.slots)
    {
    }

    Status run();

private:
    bool busy() const;
    int poll_timeout() const;
    void read_commands();
    void run_command(SpawnCommand const& command);
    void run_group(SpawnCommand const& command, bool in_use);
    std::optional<Fd> open_message(SpawnCommand const& command, std::string& refused);
    void start(SpawnCommand const& command, Fd message);
    void start_group(
        SpawnCommand const& command, Fd message, std::vector<std::optional<std::string>> refusals);
    void occupy(unsigned index, SpawnHook::Started started, Fd output, size_t recipients);
    void read_output(Slot& slot);
    void reap(Slot& slot);
    void finish_if_done(unsigned index);
    void reply(unsigned slot, std::string_view result);
    void reply_all(unsigned slot, std::vector<std::string> const& results);
    std::string record(unsigned slot, std::string_view result) const;
    std::string text(std::string_view letter, std::string_view what) const;

    SpawnHook& m_hook;
    SpawnerOptions const& m_options;
    int m_in;
    int m_out;
    bool m_reading = true;
    bool m_writing = true;
    SpawnCommandParser m_parser;
    std::vector<Slot> m_slots;
};

bool Spawner::busy() const
{
    return std::any_of(m_slots.begin(), m_slots.end(), [](Slot const& s) { return s.used; });
}

// -1 (wait for an event) unless a child has no pidfd or an exited child's output is open.
int Spawner::poll_timeout() const
{
    int timeout = -1;
    auto now = Clock::now();
    for (auto const& s : m_slots) {
        if (!s.used)
            continue;
        int ms = -1;
        if (s.pid > 0 && !s.pidfd.valid())
            ms = kReapPollMs;
        else if (s.pid <= 0 && s.output.valid()) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                s.exited_at + m_options.output_grace - now);
            ms = static_cast<int>(std::clamp<long long>(left.count() + 1, 0, 86400000));
        }
        if (ms >= 0 && (timeout < 0 || ms < timeout))
            timeout = ms;
    }
    return timeout;
}

Status Spawner::run()
{
    std::signal(SIGCHLD, SIG_DFL);
    char const count = static_cast<char>(m_options.slots);
    if (!write_blocking(m_out, std::string_view(&count, 1)))
        return Error::from_errno("unable to write to send");
    std::vector<pollfd> fds;
    std::vector<std::pair<unsigned, bool>> owners; // slot, true = pidfd
    while (m_reading || busy()) {
        fds.clear();
        owners.clear();
        if (m_reading)
            fds.push_back({ m_in, POLLIN, 0 });
        for (unsigned i = 0; i < m_slots.size(); ++i) {
            if (m_slots[i].output.valid()) {
                fds.push_back({ m_slots[i].output.get(), POLLIN, 0 });
                owners.emplace_back(i, false);
            }
            if (m_slots[i].pidfd.valid()) {
                fds.push_back({ m_slots[i].pidfd.get(), POLLIN, 0 });
                owners.emplace_back(i, true);
            }
        }
        int n = ::poll(fds.data(), fds.size(), poll_timeout());
        if (n == -1 && errno != EINTR)
            return Error::from_errno("unable to poll");
        size_t first = m_reading ? 1 : 0;
        for (size_t k = first; n > 0 && k < fds.size(); ++k) {
            if (fds[k].revents == 0)
                continue;
            Slot& slot = m_slots[owners[k - first].first];
            if (owners[k - first].second)
                reap(slot);
            else
                read_output(slot);
        }
        for (unsigned i = 0; i < m_slots.size(); ++i) {
            if (m_slots[i].used && m_slots[i].pid > 0 && !m_slots[i].pidfd.valid())
                reap(m_slots[i]);
            finish_if_done(i);
        }
        if (n > 0 && m_reading && fds[0].revents != 0)
            read_commands();
    }
    return {};
}

void Spawner::read_commands()
{
    char buf[1024];
    ssize_t n = ::read(m_in, buf, sizeof buf);
    if (n == 0 || (n == -1 && errno != EINTR && errno != EAGAIN)) {
        m_reading = false; // end of input (a half command is dropped, as spawn.c does)
        return;
    }
    if (n < 0)
        return;
    std::vector<SpawnCommand> commands;
    m_parser.feed(std::string_view(buf, static_cast<size_t>(n)), commands);
    for (auto const& c : commands)
        run_command(c);
}

void Spawner::run_command(SpawnCommand const& command)
{
    bool in_use = command.slot < m_slots.size() && m_slots[command.slot].used;
    if (command.group) {
        run_group(command, in_use);
        return;
    }
    if (auto refused = check_command(command, m_options.slots, in_use)) {
        reply(command.slot, *refused);
        return;
    }
    std::string refused;
    auto message = open_message(command, refused);
    if (message)
        start(command, std::move(*message));
    else
        reply(command.slot, refused);
}

// A group: the checks, then one delivery of the recipients that passed them.
void Spawner::run_group(SpawnCommand const& command, bool in_use)
{
    GroupCheck check = check_group(command, m_options.slots, in_use);
    if (!check.all && !m_hook.takes_groups())
        check.all = text("Z", "does not take recipient groups. (#4.3.0)\n");
    if (check.all) {
        for (size_t i = 0; i < command.result_count(); ++i)
            reply(command.slot, *check.all);
        return;
    }
    bool const runs = std::any_of(
        check.each.begin(), check.each.end(), [](auto const& r) { return !r.has_value(); });
    std::string refused;
    auto message = runs ? open_message(command, refused) : std::nullopt;
    if (message) {
        start_group(command, std::move(*message), std::move(check.each));
        return;
    }
    std::vector<std::string> failed(check.each.size(), refused); // only where none is set
    reply_all(command.slot, merge_results(check.each, std::move(failed)));
}

// The message file, checked; nullopt with the result refusing the command in refused.
std::optional<Fd> Spawner::open_message(SpawnCommand const& command, std::string& refused)
{
    // O_NONBLOCK: a fifo in place of a message must not stop the spawner.
    int fd = ::openat(m_options.message_dir, command.message_id.c_str(),
        O_RDONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (fd == -1) {
        refused = text("Z", "unable to open message. (#4.3.0)\n");
        return std::nullopt;
    }
    Fd message(fd);
    struct stat st;
    if (::fstat(fd, &st) == -1)
        refused = text("Z", "unable to fstat message. (#4.3.0)\n");
    else if (!S_ISREG(st.st_mode))
        refused = "ZSorry, message has wrong type. (#4.3.5)\n";
    else if (st.st_uid != m_options.queue_uid)
        refused = "ZSorry, message has wrong owner. (#4.3.5)\n";
    else if (!set_nonblocking(fd, false))
        refused = text("Z", "unable to set up message. (#4.3.0)\n");
    else
        return message;
    return std::nullopt;
}

void Spawner::start(SpawnCommand const& command, Fd message)
{
    auto pipe = make_pipe();
    if (!pipe || !set_nonblocking(pipe->read_end.get(), true)) {
        reply(command.slot, text("Z", "unable to create pipe. (#4.3.0)\n"));
        return;
    }
    SpawnHook::Started started
        = m_hook.start(message.get(), command.sender, command.recipient, pipe->write_end.get());
    message = Fd();
    pipe->write_end = Fd(); // the child holds the only write end now
    if (auto* result = std::get_if<std::string>(&started))
        reply(command.slot, *result);
    else
        occupy(command.slot, std::move(started), std::move(pipe->read_end), 1);
}

void Spawner::start_group(
    SpawnCommand const& command, Fd message, std::vector<std::optional<std::string>> refusals)
{
    std::vector<std::string> recipients;
    for (size_t i = 0; i < refusals.size(); ++i)
        if (!refusals[i])
            recipients.push_back(command.recipients[i].address);
    auto pipe = make_pipe();
    if (!pipe || !set_nonblocking(pipe->read_end.get(), true)) {
        std::vector<std::string> failed(
            recipients.size(), text("Z", "unable to create pipe. (#4.3.0)\n"));
        reply_all(command.slot, merge_results(refusals, std::move(failed)));
        return;
    }
    SpawnHook::Started started
        = m_hook.start_group(message.get(), command.sender, recipients, pipe->write_end.get());
    message = Fd();
    pipe->write_end = Fd();
    if (auto* result = std::get_if<std::string>(&started)) {
        std::vector<std::string> failed(recipients.size(), *result);
        reply_all(command.slot, merge_results(refusals, std::move(failed)));
        return;
    }
    occupy(command.slot, std::move(started), std::move(pipe->read_end), recipients.size());
    m_slots[command.slot].group = true;
    m_slots[command.slot].results = std::move(refusals);
}

// The slot holds the running child now, reading its output.
void Spawner::occupy(unsigned index, SpawnHook::Started started, Fd output, size_t recipients)
{
    Slot& slot = m_slots[index];
    slot = Slot();
    slot.used = true;
    slot.pid = std::get<Child>(started).release();
    // glibc 2.36 declares pidfd_open without C linkage: call the system call itself.
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, slot.pid, 0));
    if (pidfd >= 0)
        slot.pidfd = Fd(pidfd);
    slot.output = std::move(output);
    slot.limit = m_options.report_limit * std::max<size_t>(recipients, 1);
}

void Spawner::read_output(Slot& slot)
{
    char buf[kReadChunk];
    ssize_t n = ::read(slot.output.get(), buf, sizeof buf);
    if (n == -1 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) { // end of file (a read error on a pipe counts as one)
        slot.output = Fd();
        return;
    }
    if (slot.cut)
        return; // drained, not kept
    size_t const keep = slot.limit + 1; // one more than the limit: "too long"
    slot.text.append(buf, std::min(static_cast<size_t>(n), keep - slot.text.size()));
    if (slot.text.size() >= keep) {
        slot.text = cut_report(std::move(slot.text), slot.limit);
        slot.cut = true;
    }
}

void Spawner::reap(Slot& slot)
{
    int wstat = 0;
    pid_t got = ::waitpid(slot.pid, &wstat, WNOHANG);
    if (got == 0 || (got == -1 && errno == EINTR))
        return;
    if (got == slot.pid)
        slot.status = WIFSIGNALED(wstat) ? ExitStatus { true, WTERMSIG(wstat) }
                                         : ExitStatus { false, WEXITSTATUS(wstat) };
    else
        slot.status = ExitStatus { true, 0 }; // reaped by someone else: status unknown
    slot.pid = -1;
    slot.pidfd = Fd();
    slot.exited_at = Clock::now();
}

void Spawner::finish_if_done(unsigned index)
{
    Slot& slot = m_slots[index];
    if (!slot.used || slot.pid > 0)
        return;
    if (slot.output.valid()) {
        if (Clock::now() < slot.exited_at + m_options.output_grace)
            return;
        slot.output = Fd(); // a background process still holds it: report what we have
    }
    if (slot.group) {
        size_t const ran = static_cast<size_t>(
            std::count(slot.results.begin(), slot.results.end(), std::nullopt));
        auto results
            = merge_results(slot.results, m_hook.report_group(slot.status, slot.text, ran));
        slot = Slot();
        reply_all(index, results);
        return;
    }
    std::string result = m_hook.report(slot.status, slot.text);
    slot = Slot();
    reply(index, result);
}

std::string Spawner::record(unsigned slot, std::string_view result) const
{
    result = result.substr(0, result.find('\0'));
    std::string out(1, static_cast<char>(slot));
    if (result.empty())
        out += text("Z", "got no report from the delivery. (#4.3.0)\n");
    else
        out += result;
    out += '\0';
    return out;
}

void Spawner::reply(unsigned slot, std::string_view result)
{
    if (m_writing && !write_blocking(m_out, record(slot, result)))
        m_writing = false; // send is gone; the deliveries still run to their end
}

// A group's results in one write: send reads them in order.
void Spawner::reply_all(unsigned slot, std::vector<std::string> const& results)
{
    std::string all;
    for (auto const& r : results)
        all += record(slot, r);
    if (m_writing && !all.empty() && !write_blocking(m_out, all))
        m_writing = false;
}

std::string Spawner::text(std::string_view letter, std::string_view what) const
{
    std::string out(letter);
    out += m_options.name;
    out += ' ';
    out += what;
    return out;
}

} // namespace

SpawnHook::Started SpawnHook::start_group(
    int, std::string const&, std::vector<std::string> const&, int)
{
    return std::string("Zthis spawner does not take recipient groups. (#4.3.0)\n");
}

std::vector<std::string> SpawnHook::report_group(
    ExitStatus status, std::string_view output, size_t recipients)
{
    return std::vector<std::string>(recipients, report(status, output));
}

Status serve_spawner(SpawnHook& hook, SpawnerOptions const& options, int in_fd, int out_fd)
{
    if (options.slots == 0 || options.slots > 255)
        return Error::plain("spawner slots out of range");
    return Spawner(hook, options, in_fd, out_fd).run();
}

std::vector<std::string> delivery_environment()
{
    auto env = EnvBuilder::keep_from_current(
        { "PATH", "TZ", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS" });
    if (!env.get("PATH"))
        (void)env.set("PATH", "/usr/local/bin:/usr/bin:/bin");
    return env.entries();
}

Result<SpawnerSite> find_spawner_site(std::string& failed)
{
    auto root = install_root();
    if (!root) {
        failed = "unable to find the install root";
        return root.error();
    }
    auto queue = lookup_account(conf::kUserQueue);
    if (!queue) {
        failed = std::string("unable to look up account ") + conf::kUserQueue;
        return queue.error();
    }
    return SpawnerSite { *root, queue->uid };
}

Status enter_message_dir(std::string const& root, std::string& dir)
{
    dir = root + "/queue/mess";
    if (::chdir(dir.c_str()) == -1)
        return Error::from_errno("chdir");
    return {};
}

} // namespace mta
