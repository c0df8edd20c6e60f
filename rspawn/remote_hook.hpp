// remote_hook - rspawn's half of the spawner (the driver is lib/spawn_driver.hpp): runs
// remote's delivery code (remote/deliver.hpp) for one recipient in a forked child and turns
// its report records into one K/Z/D result (qmail-rspawn's spawn() and report()).
//
//     rspawn::RemoteHook hook(root);                 // loads the TLS client context once
//     mta::serve_spawner(hook, options);
//
// start() forks (mta::Child::run: no exec, the libraries are already loaded) a child with
// the message on fd 0 and the output pipe on fd 1 and 2, as this process's account (msr);
// the child is what `remote host sender recipient` would be (host: the recipient's part
// after its last '@'): it reads the control files, resolves and delivers, writes remote's
// records and exits 0. report() maps: a signal Z "remote crashed."; exit 111 or 120 Z
// "Unable to run remote."; any other non-zero exit D "Unable to run remote."; no record Z
// "remote produced no output."; otherwise the records as map_records() says.
//
// rspawn takes group commands (lib/spawn_driver.hpp): start_group() forks one child for
// all the recipients of a group (send groups one message's recipients of one domain), the
// child is `remote host sender recipient...`, and report_group() gives each recipient its
// own result from its r/h/s record and the message record (map_group_records()).
#pragma once

#include "../remote/config.hpp"
#include "../remote/session.hpp"
#include "process.hpp"
#include "spawn_driver.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rspawn {

// remote's records (each "letter text NUL"; the last one may lack its NUL when the output
// was cut) as one result: the first record decides the letter (r: the message record's,
// s: Z, h: D, K/Z/D: itself); the text is the first record's, followed by the message
// record's when that is not better than the verdict (K > Z > D), else by the message
// record's last line when it is the TLS note ("TLS: ..."), so that every result ends
// with it, a recipient refused in a transaction that went on for others too.
std::string map_records(std::string_view output);

std::string report_remote(mta::ExitStatus status, std::string_view output);

// remote's records for a delivery to recipients addresses as one result each, in order:
// recipient i's r/h/s record and the message record mapped as map_records() maps them for
// one; a recipient without a record of its own (remote stopped before its RCPT, or the
// output was cut) gets the message record when that is Z or D, else a Z.
std::vector<std::string> map_group_records(std::string_view output, size_t recipients);
std::vector<std::string> report_group_remote(
    mta::ExitStatus status, std::string_view output, size_t recipients);

// The delivery of one recipient as remote's command line would give it: root, host (after
// the recipient's last '@'), sender, the recipient; no control files read yet.
remote::Config delivery_config(
    std::string const& root, std::string const& sender, std::string const& recipient);
// The same for a group: the host is the first recipient's domain; nullopt when another
// recipient's domain differs (case-insensitively): send never groups across domains.
std::optional<remote::Config> group_config(
    std::string const& root, std::string const& sender, std::vector<std::string> const& recipients);

// The child's work: the control files, the delivery, the records on fd 1; exit code 0
// (111 out of memory, from run_main).
int run_delivery(remote::Config config, remote::TlsClient& tls);

class RemoteHook : public mta::SpawnHook {
public:
    // Reads the control files once for control/tlsca and makes the TLS client context with
    // its CA store (children use it while control/tlsca stays the same file).
    explicit RemoteHook(std::string root);
    Started start(int message_fd, std::string const& sender, std::string const& recipient,
        int output_fd) override;
    std::string report(mta::ExitStatus status, std::string_view output) override
    {
        return report_remote(status, output);
    }
    bool takes_groups() const override { return true; }
    Started start_group(int message_fd, std::string const& sender,
        std::vector<std::string> const& recipients, int output_fd) override;
    std::vector<std::string> report_group(
        mta::ExitStatus status, std::string_view output, size_t recipients) override
    {
        return report_group_remote(status, output, recipients);
    }

private:
    Started fork_delivery(remote::Config config, int message_fd, int output_fd);

    std::string m_root;
    std::vector<std::string> m_env;
    remote::TlsClient m_tls;
};

} // namespace rspawn
