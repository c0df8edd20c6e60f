#include "tls.hpp"

#include "tls_wait.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <utility>

namespace mta::tls {

namespace {

bool is_ip_literal(std::string const& name)
{
    in6_addr addr {};
    return ::inet_pton(AF_INET, name.c_str(), &addr) == 1
        || ::inet_pton(AF_INET6, name.c_str(), &addr) == 1;
}

} // namespace

Session::Session(SSL* ssl, int rfd, int wfd, int timeout_ms)
    : m_ssl(ssl)
    , m_rfd(rfd)
    , m_wfd(wfd)
    , m_timeout_ms(timeout_ms)
{
}

Session::Session(Session&& other) noexcept
{
    *this = std::move(other);
}

Session& Session::operator=(Session&& other) noexcept
{
    if (this != &other) {
        release();
        m_ssl = std::exchange(other.m_ssl, nullptr);
        m_rfd = other.m_rfd;
        m_wfd = other.m_wfd;
        m_timeout_ms = other.m_timeout_ms;
        m_rfd_flags = std::exchange(other.m_rfd_flags, -1);
        m_wfd_flags = std::exchange(other.m_wfd_flags, -1);
        m_failed = other.m_failed;
    }
    return *this;
}

Session::~Session()
{
    release();
}

void Session::release()
{
    restore_flags();
    SSL_free(m_ssl);
    m_ssl = nullptr;
}

// Puts back the flags the descriptors had (both are read before either is changed, so
// fds sharing one open file description get their original flags either way).
void Session::restore_flags()
{
    if (m_wfd_flags != -1)
        (void)::fcntl(m_wfd, F_SETFL, m_wfd_flags);
    if (m_rfd_flags != -1)
        (void)::fcntl(m_rfd, F_SETFL, m_rfd_flags);
    m_rfd_flags = m_wfd_flags = -1;
}

Result<Session> Session::start(SSL* ssl, int rfd, int wfd, int timeout_ms, bool server)
{
    if (!ssl)
        return Error { ENOMEM, "unable to start a TLS session" };
    Session s(ssl, rfd, wfd, timeout_ms);
    if (SSL_set_rfd(ssl, rfd) != 1 || SSL_set_wfd(ssl, wfd) != 1)
        return Error { ENOMEM, "unable to start a TLS session" };
    int rflags = ::fcntl(rfd, F_GETFL);
    int wflags = ::fcntl(wfd, F_GETFL);
    if (rflags == -1 || wflags == -1)
        return Error::from_errno("unable to start a TLS session");
    s.m_rfd_flags = rflags;
    s.m_wfd_flags = wflags;
    // Non-blocking while the session lives: after poll() says readable, SSL_read could
    // otherwise block on the rest of a record that a slow peer never sends.
    if (::fcntl(rfd, F_SETFL, rflags | O_NONBLOCK) == -1
        || ::fcntl(wfd, F_SETFL, wflags | O_NONBLOCK) == -1)
        return Error::from_errno("unable to start a TLS session");
    if (auto st = s.handshake(server); !st)
        return st.error();
    return s;
}

Status Session::handshake(bool server)
{
    if (server)
        SSL_set_accept_state(m_ssl);
    else
        SSL_set_connect_state(m_ssl);
    Deadline deadline(m_timeout_ms);
    for (;;) {
        errno = 0;
        int ret = SSL_do_handshake(m_ssl);
        switch (after_call(m_ssl, ret, m_rfd, m_wfd, deadline)) {
        case Step::done:
            return {};
        case Step::retry:
            continue;
        case Step::eof:
            m_failed = true;
            return Error { ECONNRESET, "TLS handshake failed" };
        case Step::failed:
            m_failed = true;
            if (errno == ETIMEDOUT)
                return Error { ETIMEDOUT, "TLS handshake timed out" };
            return Error::from_errno("TLS handshake failed");
        }
    }
}

Result<Session> Session::accept(Context const& ctx, int rfd, int wfd, int timeout_ms)
{
    ERR_clear_error();
    return start(SSL_new(ctx.get()), rfd, wfd, timeout_ms, true);
}

Result<Session> Session::connect(
    Context const& ctx, int rfd, int wfd, std::string const& server_name, int timeout_ms)
{
    ERR_clear_error();
    SSL* ssl = SSL_new(ctx.get());
    if (!ssl)
        return Error { ENOMEM, "unable to start a TLS session" };
    std::string name = server_name;
    if (!name.empty() && name.back() == '.')
        name.pop_back();
    bool ok = true;
    if (!name.empty()) {
        SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        ok = SSL_set1_host(ssl, name.c_str()) == 1;
        // RFC 6066: SNI carries host names only, never address literals.
        if (ok && !is_ip_literal(name))
            ok = SSL_set_tlsext_host_name(ssl, name.c_str()) == 1;
    }
    if (!ok) {
        SSL_free(ssl);
        return Error::plain("unable to set the TLS server name");
    }
    return start(ssl, rfd, wfd, timeout_ms, false);
}

ReadFn Session::read_fn()
{
    return [this](int, void* buf, size_t len) { return read(buf, len); };
}

WriteFn Session::write_fn()
{
    return [this](int, void const* buf, size_t len) { return write(buf, len); };
}

ssize_t Session::read(void* buf, size_t len)
{
    if (m_failed) {
        errno = EPIPE;
        return -1;
    }
    if (len == 0)
        return 0;
    ERR_clear_error();
    Deadline deadline(m_timeout_ms);
    for (;;) {
        size_t got = 0;
        errno = 0;
        int ret = SSL_read_ex(m_ssl, buf, len, &got);
        switch (after_call(m_ssl, ret, m_rfd, m_wfd, deadline)) {
        case Step::done:
            return static_cast<ssize_t>(got);
        case Step::retry:
            continue;
        case Step::eof:
            ERR_clear_error();
            return 0;
        case Step::failed:
            if (errno != ETIMEDOUT)
                m_failed = true;
            return -1;
        }
    }
}

ssize_t Session::write(void const* buf, size_t len)
{
    if (m_failed) {
        errno = EPIPE;
        return -1;
    }
    ERR_clear_error();
    auto const* data = static_cast<char const*>(buf);
    size_t done = 0;
    Deadline deadline(m_timeout_ms);
    while (done < len) {
        size_t wrote = 0;
        errno = 0;
        int ret = SSL_write_ex(m_ssl, data + done, len - done, &wrote);
        switch (after_call(m_ssl, ret, m_rfd, m_wfd, deadline)) {
        case Step::done:
            done += wrote;
            deadline = Deadline(m_timeout_ms);
            continue;
        case Step::retry:
            continue;
        case Step::eof:
            errno = EPIPE;
            [[fallthrough]];
        case Step::failed:
            // A half-written record cannot be taken back: the stream is broken.
            m_failed = true;
            return -1;
        }
    }
    return static_cast<ssize_t>(done);
}

void Session::shutdown()
{
    if (m_ssl && !m_failed) {
        ERR_clear_error();
        Deadline deadline(m_timeout_ms);
        for (;;) {
            errno = 0;
            int ret = SSL_shutdown(m_ssl);
            // 0: close_notify is sent; the peer's reply is not waited for.
            if (ret >= 0 || after_call(m_ssl, ret, m_rfd, m_wfd, deadline) != Step::retry)
                break;
        }
        ERR_clear_error();
    }
    m_failed = true;
    restore_flags();
}

std::string Session::version() const
{
    return m_ssl ? SSL_get_version(m_ssl) : "";
}

std::string Session::cipher() const
{
    char const* name = m_ssl ? SSL_get_cipher_name(m_ssl) : nullptr;
    return name ? name : "";
}

int Session::cipher_bits() const
{
    return m_ssl ? SSL_get_cipher_bits(m_ssl, nullptr) : 0;
}

bool Session::peer_verified() const
{
    if (!m_ssl)
        return false;
    X509* cert = SSL_get0_peer_certificate(m_ssl);
    return cert && SSL_get_verify_result(m_ssl) == X509_V_OK;
}

std::string Session::verify_text() const
{
    if (!m_ssl || !SSL_get0_peer_certificate(m_ssl))
        return "no certificate";
    long result = SSL_get_verify_result(m_ssl);
    if (result == X509_V_OK)
        return "ok";
    return X509_verify_cert_error_string(result);
}

} // namespace mta::tls
