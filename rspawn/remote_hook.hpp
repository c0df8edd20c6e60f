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
#pragma once

#include "../remote/config.hpp"
#include "../remote/session.hpp"
#include "process.hpp"
#include "spawn_driver.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace rspawn {

// remote's records (each "letter text NUL"; the last one may lack its NUL when the output
// was cut) as one result: the first record decides the letter (r: the message record's,
// s: Z, h: D, K/Z/D: itself); the text is the first record's, followed by the message
// record's when that is not better than the verdict (K > Z > D).
std::string map_records(std::string_view output);

std::string report_remote(mta::ExitStatus status, std::string_view output);

// The delivery of one recipient as remote's command line would give it: root, host (after
// the recipient's last '@'), sender, the recipient; no control files read yet.
remote::Config delivery_config(
    std::string const& root, std::string const& sender, std::string const& recipient);

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

private:
    std::string m_root;
    std::vector<std::string> m_env;
    remote::TlsClient m_tls;
};

} // namespace rspawn
