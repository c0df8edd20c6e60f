#include "tls_wait.hpp"

#include <algorithm>
#include <cerrno>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>

namespace mta::tls {

namespace {

using Clock = std::chrono::steady_clock;

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

} // namespace

Deadline::Deadline(int timeout_ms)
    : m_unlimited(timeout_ms <= 0)
    , m_at(Clock::now() + std::chrono::milliseconds(timeout_ms))
{
}

int Deadline::left_ms() const
{
    if (m_unlimited)
        return -1;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(m_at - Clock::now());
    return static_cast<int>(std::max<long long>(left.count(), 0));
}

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

} // namespace mta::tls
