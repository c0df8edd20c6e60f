#include "remote_hook.hpp"

#include "../remote/deliver.hpp"
#include "domain.hpp"
#include "exit_codes.hpp"
#include "fd.hpp"
#include "log.hpp"

#include <algorithm>

namespace rspawn {

namespace {

int rank(char letter)
{
    return letter == 'K' ? 2 : letter == 'Z' ? 1 : 0;
}

bool is_message_record(char letter)
{
    return letter == 'K' || letter == 'Z' || letter == 'D';
}

// The records of remote's output (each "letter text"), the last one possibly cut.
std::vector<std::string_view> split_records(std::string_view output)
{
    std::vector<std::string_view> records;
    while (!output.empty()) {
        size_t end = output.find('\0');
        records.push_back(output.substr(0, end));
        if (end == std::string_view::npos)
            break;
        output.remove_prefix(end + 1);
    }
    std::erase_if(records, [](std::string_view r) { return r.empty(); });
    return records;
}

// The result of a delivery child that did not end normally.
std::optional<std::string> exit_failure(mta::ExitStatus status)
{
    if (status.signaled)
        return "Zremote crashed.\n";
    if (status.code_or_signal == mta::kExitTemp || status.code_or_signal == mta::kExitExecFailed)
        return "ZUnable to run remote.\n";
    if (status.code_or_signal != mta::kExitOk)
        return "DUnable to run remote.\n";
    return std::nullopt;
}

// The last line of a message record's text when it is remote's TLS note ("TLS: ...\n").
std::string_view tls_note(std::string_view message)
{
    std::string_view text = message.substr(1);
    if (text.ends_with('\n'))
        text.remove_suffix(1);
    size_t const nl = text.rfind('\n');
    std::string_view last = nl == std::string_view::npos ? text : text.substr(nl + 1);
    if (!last.starts_with("TLS: "))
        return {};
    return message.substr(1 + (nl == std::string_view::npos ? 0 : nl + 1));
}

} // namespace

std::string map_records(std::string_view output)
{
    std::vector<std::string_view> records = split_records(output);
    if (records.empty())
        return "Zremote produced no output.\n";
    std::string_view const first = records.front();
    if (is_message_record(first[0]))
        return std::string(first);
    std::string_view message;
    for (auto r : records)
        if (is_message_record(r[0])) {
            message = r;
            break;
        }
    if (message.empty())
        return "Zremote produced no message record.\n";
    if (first[0] == 'r')
        return std::string(message);
    char const verdict = first[0] == 's' ? 'Z' : first[0] == 'h' ? 'D' : 'Z';
    std::string out(1, verdict);
    out += first.substr(1);
    if (rank(message[0]) <= rank(verdict))
        out += message.substr(1);
    else
        out += tls_note(message); // a better message record: its TLS note only
    return out;
}

std::string report_remote(mta::ExitStatus status, std::string_view output)
{
    if (auto failed = exit_failure(status))
        return *failed;
    return map_records(output);
}

std::vector<std::string> map_group_records(std::string_view output, size_t recipients)
{
    std::vector<std::string_view> records = split_records(output);
    if (records.empty())
        return std::vector<std::string>(recipients, "Zremote produced no output.\n");
    auto is_message = [](std::string_view r) { return is_message_record(r[0]); };
    auto const message = std::find_if(records.begin(), records.end(), is_message);
    std::string message_record;
    if (message != records.end()) {
        message_record = *message;
        message_record += '\0';
    }
    size_t const own = static_cast<size_t>(message - records.begin()); // r/h/s records
    std::vector<std::string> out;
    for (size_t i = 0; i < recipients; ++i) {
        if (i < own)
            out.push_back(map_records(std::string(records[i]) + '\0' + message_record));
        else if (message != records.end() && (*message)[0] != 'K')
            out.emplace_back(*message);
        else
            out.emplace_back("Zremote produced no report for this recipient.\n");
    }
    return out;
}

std::vector<std::string> report_group_remote(
    mta::ExitStatus status, std::string_view output, size_t recipients)
{
    if (auto failed = exit_failure(status))
        return std::vector<std::string>(recipients, *failed);
    return map_group_records(output, recipients);
}

remote::Config delivery_config(
    std::string const& root, std::string const& sender, std::string const& recipient)
{
    remote::Config config;
    config.root = root;
    config.host = recipient.substr(recipient.rfind('@') + 1);
    config.sender = sender;
    config.recipients = { recipient };
    return config;
}

std::optional<remote::Config> group_config(
    std::string const& root, std::string const& sender, std::vector<std::string> const& recipients)
{
    remote::Config config = delivery_config(root, sender, recipients.at(0));
    for (auto const& r : recipients)
        if (mta::lowercase_domain(r.substr(r.rfind('@') + 1)) != mta::lowercase_domain(config.host))
            return std::nullopt;
    config.recipients = recipients;
    return config;
}

int run_delivery(remote::Config config, remote::TlsClient& tls)
{
    return mta::run_main("remote", [&] {
        std::string records;
        if (!remote::read_controls(config)) {
            records = remote::kControlTrouble;
            records += '\0';
        } else if (tls.serves(config.tlsca)) {
            records = remote::deliver(config, 0, tls);
        } else {
            records = remote::deliver(config, 0);
        }
        (void)mta::write_all(1, records);
        return mta::kExitOk;
    });
}

namespace {

std::string startup_tlsca(std::string const& root)
{
    remote::Config config;
    config.root = root;
    return remote::read_controls(config) ? config.tlsca : std::string();
}

} // namespace

RemoteHook::RemoteHook(std::string root)
    : m_root(std::move(root))
    , m_env(mta::delivery_environment())
    , m_tls(startup_tlsca(m_root))
{
    (void)m_tls.get(); // a failure shows again in the child that needs TLS, as in remote
}

mta::SpawnHook::Started RemoteHook::start(
    int message_fd, std::string const& sender, std::string const& recipient, int output_fd)
{
    return fork_delivery(delivery_config(m_root, sender, recipient), message_fd, output_fd);
}

mta::SpawnHook::Started RemoteHook::start_group(int message_fd, std::string const& sender,
    std::vector<std::string> const& recipients, int output_fd)
{
    auto config = group_config(m_root, sender, recipients);
    if (!config)
        return std::string("ZInternal error: recipient group spans domains. (#4.3.5)\n");
    return fork_delivery(std::move(*config), message_fd, output_fd);
}

mta::SpawnHook::Started RemoteHook::fork_delivery(
    remote::Config config, int message_fd, int output_fd)
{
    mta::SpawnOptions opt;
    opt.fds = { { 0, message_fd }, { 1, output_fd }, { 2, output_fd } };
    opt.env = m_env;
    auto child = mta::Child::run([&] { return run_delivery(std::move(config), m_tls); }, opt);
    if (!child)
        return "ZUnable to run remote: " + child.error().text() + ". (#4.3.0)\n";
    return std::move(*child);
}

} // namespace rspawn
