// session - the ESMTP conversation with one exchanger on a connected socket: EHLO (HELO
// when refused), STARTTLS whenever offered, MAIL with SIZE, BODY=8BITMIME and SMTPUTF8 as
// needed and offered, the RCPTs and DATA (pipelined when offered), the message, QUIT.
//
//     remote::Attempt a = remote::converse(std::move(fd), params);
//     if (a.end == remote::Attempt::End::done) return a.records;
//
// An attempt ends "done" with the report records (every SMTP outcome, including
// failures: qmail-remote does not try the next exchanger once one answered), "next" when
// this exchanger cannot be used but another may (verified TLS required and not offered
// or not verified), or "plaintext" when an opportunistic TLS handshake failed: the
// caller connects again without STARTTLS and passes tls_failure on, so that the last line
// of the retry's texts says "TLS: none (STARTTLS failed: REASON)." problem says why, in
// one line.
#pragma once

#include "config.hpp"
#include "dns.hpp"
#include "fd.hpp"
#include "smtp.hpp"
#include "tls.hpp"

#include <optional>
#include <string>

namespace remote {

// The client TLS context, made on first use (most deliveries to routed relays never need
// it, and loading the CA store costs time). rspawn makes one at startup (get()) and its
// delivery children inherit it, loaded, as long as control/tlsca is still the same file.
class TlsClient {
public:
    explicit TlsClient(std::string ca_file)
        : m_ca_file(std::move(ca_file))
    {
    }
    mta::Result<mta::tls::Context const*> get();
    // True when this client was made for ca_file ("" for the system store) and, for a
    // file, the file is unchanged (device, inode, size, modification time) since get()
    // loaded it. Always true before get() has made the context.
    bool serves(std::string const& ca_file) const;

private:
    std::string m_ca_file;
    std::string m_identity; // of m_ca_file when the context was made
    std::optional<mta::tls::Context> m_ctx;
};

struct SessionParams {
    Config const& config;
    Target const& target;
    int message_fd;
    MessageFacts facts;
    bool offer_tls; // false on the plaintext retry after a failed handshake
    std::string tls_failure; // on that retry: why the handshake failed (for the TLS note)
    bool require_tls; // control/tlsdestinations
    TlsClient& tls;
};

struct Attempt {
    enum class End { done, next, plaintext } end = End::done;
    std::string records;
    std::string problem;
    std::string tls_failure; // plaintext: why the handshake failed, for the retry's note
};

Attempt converse(mta::Fd fd, SessionParams const& params);

// "mx.example.org[192.0.2.1]", or the address alone for a literal target.
std::string describe(Target const& target);

} // namespace remote
