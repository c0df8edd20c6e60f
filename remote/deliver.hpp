// deliver - one delivery attempt of qmail-remote: find the exchangers (routes, DNS), try
// their addresses in order (skipping those in tcpto), speak ESMTP to the first that
// answers, and return qmail-remote's report records.
//
//     std::string records = remote::deliver(config, 0);   // the message on fd 0
//     mta::write_all(1, records);
//
// Records (docs/remote.md): per recipient, in argument order, "r" (accepted), "h<text>"
// (permanent rejection) or "s<text>" (temporary), each ending with NUL; then one "K", "Z"
// or "D" record with its text and NUL. Fewer recipient records when the attempt failed
// before RCPT. Every failure is a record: deliver never fails.
#pragma once

#include "config.hpp"

#include <string>

namespace remote {

class TlsClient;

std::string deliver(Config const& config, int message_fd);
// The same with a TLS client context made by the caller (rspawn: once, before the fork);
// tls must serve config.tlsca (TlsClient::serves).
std::string deliver(Config const& config, int message_fd, TlsClient& tls);

} // namespace remote
