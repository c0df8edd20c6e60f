// tls_context - the OpenSSL 3 contexts behind lib/tls.hpp's sessions: a server's
// certificate chain and key, or a client's trusted CAs, with the settings both share.
//
//     auto ctx = mta::tls::Context::server(root + "/control/tls/cert.pem",
//                                          root + "/control/tls/key.pem");
//     if (!ctx)                                   // no usable certificate: no STARTTLS
//         log_warning(ctx.error().text() + ": " + mta::tls::last_error_text());
//     auto c = mta::tls::Context::client();       // verifies against the system CA store
//
// Only TLS 1.2 and 1.3 are offered or accepted; no compression, no renegotiation,
// security level at least 2. Server side: TLS 1.3 suites by OpenSSL's defaults, TLS 1.2
// suites from OpenSSL's DEFAULT list without weak ones, in the server's order; no session
// cache or tickets. Client side: the handshake never fails on the peer's certificate
// (Session::peer_verified() reports). Errors are Error values with static texts; the
// detailed OpenSSL text of the last failure is last_error_text().
#pragma once

#include "error.hpp"

#include <memory>
#include <string>

typedef struct ssl_ctx_st SSL_CTX;

namespace mta::tls {

class Context {
public:
    // A server context with this certificate chain and private key (PEM files). Fails
    // when either cannot be read or the key does not match the certificate.
    static Result<Context> server(std::string const& cert_file, std::string const& key_file);
    // A client context that verifies peers against the system's default CA store
    // (ca_file, when not empty, replaces it: tests use their own CA).
    static Result<Context> client(std::string const& ca_file = {});

    SSL_CTX* get() const { return m_ctx.get(); }

private:
    struct Free {
        void operator()(SSL_CTX* ctx) const;
    };
    std::unique_ptr<SSL_CTX, Free> m_ctx;
};

// OpenSSL's text for the most recent failure in this thread ("" when none), and clears
// OpenSSL's error queue.
std::string last_error_text();

} // namespace mta::tls
