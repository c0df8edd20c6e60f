#include "tls_context.hpp"

#include <cerrno>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace mta::tls {

namespace {

// OpenSSL 3's DEFAULT list (forward-secret AEAD suites first) without anything weak; TLS
// 1.3 suites are configured apart and their defaults are all strong.
constexpr char const* kCipherList = "DEFAULT:!aNULL:!eNULL:!EXPORT:!LOW:!RC4:!DES:!3DES:!MD5:"
                                    "!PSK:!SRP:!aDSS";

// The settings both sides share: TLS 1.2 and 1.3 only, no compression, no renegotiation.
Status configure(SSL_CTX* ctx)
{
    if (!ctx)
        return Error { ENOMEM, "unable to make a TLS context" };
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_get_security_level(ctx) < 2)
        SSL_CTX_set_security_level(ctx, 2);
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1
        || SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1
        || SSL_CTX_set_cipher_list(ctx, kCipherList) != 1)
        return Error::plain("unable to configure the TLS context");
    return {};
}

} // namespace

void Context::Free::operator()(SSL_CTX* ctx) const
{
    SSL_CTX_free(ctx);
}

Result<Context> Context::server(std::string const& cert_file, std::string const& key_file)
{
    ERR_clear_error();
    Context made;
    made.m_ctx.reset(SSL_CTX_new(TLS_server_method()));
    SSL_CTX* ctx = made.get();
    if (auto st = configure(ctx); !st)
        return st.error();
    SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_dh_auto(ctx, 1);
    // Each process handles one connection: a session cache would never be used.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx, 0);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1)
        return Error::plain("unable to load the TLS certificate");
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
        // OpenSSL compares the key with the certificate already while loading it.
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
            return Error::plain("TLS private key does not match the certificate");
        return Error::plain("unable to load the TLS private key");
    }
    if (SSL_CTX_check_private_key(ctx) != 1)
        return Error::plain("TLS private key does not match the certificate");
    return made;
}

Result<Context> Context::client(std::string const& ca_file)
{
    ERR_clear_error();
    Context made;
    made.m_ctx.reset(SSL_CTX_new(TLS_client_method()));
    SSL_CTX* ctx = made.get();
    if (auto st = configure(ctx); !st)
        return st.error();
    // The handshake never fails on the certificate; Session::peer_verified() reports.
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    if (ca_file.empty()) {
        if (SSL_CTX_set_default_verify_paths(ctx) != 1)
            return Error::plain("unable to load the system CA certificates");
    } else if (SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
        return Error::plain("unable to load the CA file");
    }
    return made;
}

std::string last_error_text()
{
    std::string out;
    while (unsigned long e = ERR_get_error()) {
        char text[256];
        ERR_error_string_n(e, text, sizeof text);
        if (!out.empty())
            out += "; ";
        out += text;
    }
    ERR_clear_error();
    return out;
}

} // namespace mta::tls
