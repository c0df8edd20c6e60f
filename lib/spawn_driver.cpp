#include "spawn_driver.hpp"

#include "fd.hpp"
#include "spawn_slot.hpp"

#include <algorithm>
#include <csignal>
#include <optional>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mta {

namespace {

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
    void read_commands();
    void run_command(SpawnCommand const& command);
    void run_group(SpawnCommand const& command, bool in_use);
    std::optional<Fd> open_message(SpawnCommand const& command, std::string& refused);
    void start(SpawnCommand const& command, Fd message);
    void start_group(
        SpawnCommand const& command, Fd message, std::vector<std::optional<std::string>> refusals);
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
    SpawnSlots m_slots;
};

Status Spawner::run()
{
    std::signal(SIGCHLD, SIG_DFL);
    char const count = static_cast<char>(m_options.slots);
    if (!write_blocking(m_out, std::string_view(&count, 1)))
        return Error::from_errno("unable to write to send");
    std::vector<pollfd> fds;
    while (m_reading || m_slots.busy()) {
        fds.clear();
        if (m_reading)
            fds.push_back({ m_in, POLLIN, 0 });
        m_slots.add_poll_fds(fds);
        int n = ::poll(fds.data(), fds.size(), m_slots.poll_timeout(m_options.output_grace));
        if (n == -1 && errno != EINTR)
            return Error::from_errno("unable to poll");
        if (n > 0)
            m_slots.handle_poll(fds, m_reading ? 1 : 0);
        for (unsigned i = 0; i < m_slots.size(); ++i) {
            m_slots[i].reap_unwatched();
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
    bool in_use = command.slot < m_slots.size() && m_slots[command.slot].used();
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
    reply_all(command.slot, merge_group_results(check.each, std::move(failed)));
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
        m_slots[command.slot].occupy(std::move(std::get<Child>(started)), std::move(pipe->read_end),
            {}, m_options.report_limit);
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
        reply_all(command.slot, merge_group_results(refusals, std::move(failed)));
        return;
    }
    SpawnHook::Started started
        = m_hook.start_group(message.get(), command.sender, recipients, pipe->write_end.get());
    message = Fd();
    pipe->write_end = Fd();
    if (auto* result = std::get_if<std::string>(&started)) {
        std::vector<std::string> failed(recipients.size(), *result);
        reply_all(command.slot, merge_group_results(refusals, std::move(failed)));
        return;
    }
    m_slots[command.slot].occupy(std::move(std::get<Child>(started)), std::move(pipe->read_end),
        std::move(refusals), m_options.report_limit);
}

void Spawner::finish_if_done(unsigned index)
{
    if (auto results = m_slots[index].finish(m_hook, m_options.output_grace))
        reply_all(index, *results);
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

} // namespace mta
