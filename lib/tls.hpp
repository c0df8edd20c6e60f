// tls - TLS 1.2 and 1.3 over descriptors with OpenSSL 3, for smtpd, remote, pop3d and imapd.
//
//     auto ctx = mta::tls::Context::server(cert_file, key_file);  // lib/tls_context.hpp
//     if (!ctx) ...                               // no usable certificate: no STARTTLS
//     in.discard_buffered();                      // pipelined plaintext after STARTTLS
//     auto s = mta::tls::Session::accept(*ctx, 0, 1, 300 * 1000);
//     if (!s) die(s.error().text() + ": " + mta::tls::last_error_text());
//     in.set_timeout(0);                          // the session waits by itself
//     in.set_read_fn(s->read_fn());
//     out.set_write_fn(s->write_fn());
//     received_line += " (" + s->version() + " " + s->cipher() + ")";
//
//     auto c = mta::tls::Context::client();      // verifies against the system CA store
//     auto s = mta::tls::Session::connect(*c, fd, fd, "mx.example.org", 60 * 1000);
//     s->peer_verified(); s->verify_text();
//
// Only TLS 1.2 and 1.3 are offered or accepted; no compression, no renegotiation.
// A Session keeps its own decrypted bytes, so the Reader that reads through it must have
// timeout 0 and the Session applies its own timeout to every read, write and handshake.
// Sessions read and write on two descriptors (the same one for a socket; fd 0 and fd 1
// under tcpserver or `sendmail -bs`). While a Session lives its descriptors are
// non-blocking (O_NONBLOCK, so a peer that sends half a record cannot stall a read past
// the timeout); shutdown() and the destructor put the previous flags back. O_NONBLOCK
// belongs to the open file description: a process sharing it sees it meanwhile.
// Writes go to a pipe or socket whose reader may be gone: callers ignore SIGPIPE and get
// EPIPE. A timeout is 0 for no limit. Errors are Error values with static texts; the
// detailed OpenSSL text of the last failure is last_error_text(). The contexts (which
// protocol versions and suites, certificates, CAs) are in lib/tls_context.hpp.
#pragma once

#include "buffer.hpp"
#include "error.hpp"
#include "tls_context.hpp"

#include <string>

typedef struct ssl_st SSL;

namespace mta::tls {

class Session {
public:
    // The server side of a handshake on rfd/wfd, waiting at most timeout_ms in all.
    // Errors: "TLS handshake failed" (EIO: protocol error, see last_error_text();
    // ECONNRESET: the peer closed) or "TLS handshake timed out" (ETIMEDOUT).
    static Result<Session> accept(Context const& ctx, int rfd, int wfd, int timeout_ms);
    // The client side, sending server_name as SNI and checking the peer certificate
    // against it. A certificate that does not verify does not fail the handshake:
    // peer_verified() says false and verify_text() why (the caller decides).
    static Result<Session> connect(
        Context const& ctx, int rfd, int wfd, std::string const& server_name, int timeout_ms);

    Session(Session&&) noexcept;
    Session& operator=(Session&&) noexcept;
    ~Session();

    // Functions with read(2)/write(2) semantics for Reader/Writer (-1 with errno set on
    // failure, ETIMEDOUT after timeout_ms without progress, EIO for a TLS protocol error;
    // 0 from read at a clean close or when the peer closed without close_notify). A write
    // writes everything or fails; after it fails the session is broken. They refer to
    // this Session: keep it alive and in place (not moved) while they are in use.
    ReadFn read_fn();
    WriteFn write_fn();
    void set_timeout(int timeout_ms) { m_timeout_ms = timeout_ms; }

    std::string version() const; // "TLSv1.3"
    std::string cipher() const; // "TLS_AES_256_GCM_SHA384"
    int cipher_bits() const;
    bool peer_verified() const; // client side: chain and host name verified
    // "ok", "no certificate" or OpenSSL's reason, e.g. "self-signed certificate".
    std::string verify_text() const;

    // Sends close_notify (best effort, bounded by the timeout; the peer's reply is not
    // awaited) and restores the descriptors' flags; reads and writes then fail (EPIPE).
    void shutdown();

private:
    Session(SSL* ssl, int rfd, int wfd, int timeout_ms);
    static Result<Session> start(SSL* ssl, int rfd, int wfd, int timeout_ms, bool server);
    Status handshake(bool server);
    ssize_t read(void* buf, size_t len);
    ssize_t write(void const* buf, size_t len);
    void restore_flags();
    void release();

    SSL* m_ssl = nullptr;
    int m_rfd = -1;
    int m_wfd = -1;
    int m_timeout_ms = 0;
    int m_rfd_flags = -1; // the descriptors' file status flags before the session (-1: none)
    int m_wfd_flags = -1;
    bool m_failed = false; // a fatal error or shutdown: no more reads, writes or close_notify
};

} // namespace mta::tls
