// tls_wait - how a TLS session (lib/tls.hpp) drives OpenSSL on non-blocking descriptors:
// after each SSL_* call, after_call() says what happened and, when OpenSSL needs the
// descriptor to become readable or writable, waits for it until a Deadline. Used by
// lib/tls.cpp only.
//
//     Deadline deadline(timeout_ms);                    // 0: no limit
//     for (;;) {
//         errno = 0;                                    // SSL_ERROR_SYSCALL reads it
//         int ret = SSL_do_handshake(ssl);
//         switch (after_call(ssl, ret, rfd, wfd, deadline)) {
//         case Step::done: ...                          // retry: call again; eof; failed
//
// Step::failed leaves errno set: ETIMEDOUT when the deadline passed, EIO for a TLS
// protocol error, else the system call's errno. A peer that closed, with or without
// close_notify, is Step::eof.
#pragma once

#include <chrono>

typedef struct ssl_st SSL;

namespace mta::tls {

// A point in time after which a wait fails; timeout 0 means no limit.
class Deadline {
public:
    explicit Deadline(int timeout_ms);
    // What is left for poll(): -1 without limit, 0 when it has passed.
    int left_ms() const;

private:
    bool m_unlimited;
    std::chrono::steady_clock::time_point m_at;
};

enum class Step { done, retry, eof, failed };

// Classifies the result ret of an SSL_* call on ssl; on retry it has waited for the
// descriptor OpenSSL needs (rfd or wfd), on failed errno says why.
Step after_call(SSL* ssl, int ret, int rfd, int wfd, Deadline const& deadline);

} // namespace mta::tls
