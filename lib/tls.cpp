#include "tls.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <unistd.h>
#include <utility>

namespace mta::tls {

namespace {

using Clock = std::chrono::steady_clock;

// OpenSSL 3's DEFAULT list (forward-secret AEAD suites first) without anything weak; TLS
// 1.3 suites are configured apart and their defaults are all strong.
constexpr char const* kCipherList = "DEFAULT:!aNULL:!eNULL:!EXPORT:!LOW:!RC4:!DES:!3DES:!MD5:"
                                    "!PSK:!SRP:!aDSS";

// A point in time after which a wait fails; timeout 0 means no limit.
class Deadline {
public:
    explicit Deadline(int timeout_ms)
        : m_unlimited(timeout_ms <= 0)
        , m_at(Clock::now() + std::chrono::milliseconds(timeout_ms))
    {
    }
    // What is left for poll(): -1 without limit, 0 when it has passed.
    int left_ms() const
    {
        if (m_unlimited)
            return -1;
        auto left = std::chrono::ceil<std::chrono::milliseconds>(m_at - Clock::now());
        return static_cast<int>(std::max<long long>(left.count(), 0));
    }

private:
    bool m_unlimited;
    Clock::time_point m_at;
};

// Waits until fd is ready for events or the deadline passes (false, errno ETIMEDOUT).
bool wait_ready(int fd, short events, Deadline const& deadline)
{
    for (;;) {
        pollfd p { fd, events, 0 };
        int n = ::poll(&p, 1, deadline.left_ms());
        if (n > 0)
            return true;
        if (n == 0) {
            errno = ETIMEDOUT;
            return false;
        }
        if (errno != EINTR)
            return false;
    }
}

enum class Step { done, retry, eof, failed };

// Classifies the result of an SSL_* call; on retry it has waited for the descriptor
// OpenSSL needs, on failed errno says why.
Step after_call(SSL* ssl, int ret, int rfd, int wfd, Deadline const& deadline)
{
    int saved_errno = errno;
    switch (SSL_get_error(ssl, ret)) {
    case SSL_ERROR_NONE:
        return Step::done;
    case SSL_ERROR_WANT_READ:
        return wait_ready(rfd, POLLIN, deadline) ? Step::retry : Step::failed;
    case SSL_ERROR_WANT_WRITE:
        return wait_ready(wfd, POLLOUT, deadline) ? Step::retry : Step::failed;
    case SSL_ERROR_ZERO_RETURN:
        return Step::eof;
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0 && saved_errno == 0)
            return Step::eof;
        errno = saved_errno != 0 ? saved_errno : EIO;
        return Step::failed;
    case SSL_ERROR_SSL:
        if (ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
            return Step::eof;
        errno = EIO;
        return Step::failed;
    default:
        errno = EIO;
        return Step::failed;
    }
}

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

bool is_ip_literal(std::string const& name)
{
    in6_addr addr {};
    return ::inet_pton(AF_INET, name.c_str(), &addr) == 1
        || ::inet_pton(AF_INET6, name.c_str(), &addr) == 1;
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
