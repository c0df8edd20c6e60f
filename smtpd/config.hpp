// config - everything smtpd reads once at start: its options, the control files and the
// tcpserver environment, and the checks made from them (rcpthosts, badmailfrom, local IPs).
//
//     auto config = smtpd::load_config(root, options, mta::env_get);
//     if (auto* bad = std::get_if<smtpd::ConfigError>(&config)) die(bad->path, bad->error);
//
// Control files (ROOT/control): me, smtpgreeting (default me; neither: error),
// localiphost (me), timeoutsmtpd (1200 s), databytes (0 = no limit; $DATABYTES wins),
// maxrcpt (1000), rcpthosts, morercpthosts.cdb, badmailfrom, and when rcpthosts is
// missing locals and virtualdomains (then only those domains are accepted: never an open
// relay). control/tls/cert.pem and key.pem: STARTTLS is offered when both are readable.
// A missing file means the default; an unreadable one is an error.
#pragma once

#include "cdb.hpp"
#include "error.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace smtpd {

struct Options {
    bool implicit_tls = false; // -s, or SMTPS=1: TLS before the greeting (port 465)
    bool local_user = false; // -L: the client is the local user running us (sendmail -bs)
};

// Options from argv; nullopt on a usage error.
std::optional<Options> parse_options(int argc, char const* const* argv);

struct Config {
    std::string root;
    std::string me;
    std::string greeting;
    std::string localiphost;
    int timeout_ms = 1200 * 1000;
    std::uint64_t databytes = 0; // 0: no limit
    std::size_t maxrcpt = 1000;

    // Hosts we accept mail for: rcpthosts (lower case) and morercpthosts.cdb, or, without
    // rcpthosts, the locals and virtualdomains entries (domains, ".suffix" and whole
    // addresses).
    bool have_rcpthosts = false;
    std::vector<std::string> hosts;
    std::vector<std::string> addresses;
    std::vector<std::string> badmailfrom; // lower case; "@domain" entries too

    std::optional<std::string> relayclient; // $RELAYCLIENT: appended to each recipient
    bool local_user = false;
    bool implicit_tls = false;
    // Submission (port 587, $SUBMISSION=1; also implied by implicit TLS unless
    // $SUBMISSION=0): MAIL needs AUTH first unless the client has RELAYCLIENT.
    bool submission = false;
    bool tls_files = false; // cert.pem and key.pem readable
    std::string cert_file;
    std::string key_file;

    std::string remote_host; // for Received and logs
    std::string remote_ip;
    std::string remote_info;
    std::string local_host;
    std::string local_ip; // $TCPLOCALIP, for [address literal] recipients
};

struct ConfigError {
    std::string path;
    mta::Error error;
};

using EnvGet = std::function<std::optional<std::string_view>(char const*)>;

std::variant<Config, ConfigError> load_config(
    std::string const& root, Options const& options, EnvGet const& env);

// True when a message to local@domain may be accepted from a client that may not relay.
// An address without a domain is always local. Fails only on a corrupt morercpthosts.cdb.
mta::Result<bool> rcpthost_allowed(
    Config const& config, std::string_view local, std::string_view domain);

// What users/recipients.cdb (written by mailctl for virtual domains, see docs/accounts.md)
// says about local@domain: not a virtual domain, a valid address, or unknown (550 5.1.1).
enum class Mailbox { not_virtual, valid, unknown };

class RecipientTable {
public:
    explicit RecipientTable(std::string path)
        : m_path(std::move(path))
    {
    }
    // Opens the table at the first call; a missing table knows no virtual domain. Fails on
    // an unreadable or corrupt table.
    mta::Result<Mailbox> check(std::string_view local, std::string_view domain);

private:
    std::string m_path;
    bool m_opened = false;
    std::optional<mta::Cdb> m_cdb;
};

// True when the sender is in badmailfrom (the address, or "@domain").
bool in_badmailfrom(Config const& config, std::string_view local, std::string_view domain);

// True for an address literal ("[192.0.2.1]", "[IPv6:::1]") naming this host: loopback,
// $TCPLOCALIP or an address of a local interface.
bool is_local_literal(Config const& config, std::string_view domain);

} // namespace smtpd
