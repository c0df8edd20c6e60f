// remote_hook - rspawn's half of the spawner (the driver is lib/spawn_driver.hpp): runs
// ROOT/bin/remote for one recipient and turns its report records into one K/Z/D result
// (qmail-rspawn's spawn() and report()).
//
//     rspawn::RemoteHook hook(root);
//     mta::serve_spawner(hook, options);
//
// start() runs `remote host sender recipient` (host: the recipient's part after its last
// '@') with the message on fd 0 and the output pipe on fd 1 and 2, as this process's
// account (msr). report() maps: a signal Z "remote crashed."; exit 111 or 120 Z "Unable to
// run remote."; any other non-zero exit D "Unable to run remote."; no record Z "remote
// produced no output."; otherwise the records as map_records() says.
#pragma once

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

std::vector<std::string> remote_arguments(
    std::string const& root, std::string const& sender, std::string const& recipient);

class RemoteHook : public mta::SpawnHook {
public:
    explicit RemoteHook(std::string root)
        : m_root(std::move(root))
        , m_env(mta::delivery_environment())
    {
    }
    Started start(int message_fd, std::string const& sender, std::string const& recipient,
        int output_fd) override;
    std::string report(mta::ExitStatus status, std::string_view output) override
    {
        return report_remote(status, output);
    }

private:
    std::string m_root;
    std::vector<std::string> m_env;
};

} // namespace rspawn
