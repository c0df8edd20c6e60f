#include "error.hpp"

#include <cstring>

namespace mta {

std::string Error::text() const
{
    std::string out = what;
    if (errnum != 0) {
        out += ": ";
        out += std::strerror(errnum);
    }
    return out;
}

bool is_temporary(int errnum)
{
    switch (errnum) {
    case EINTR:
    case ENOMEM:
    case ETXTBSY:
    case EIO:
    case ETIMEDOUT:
    case EAGAIN:
    case EDEADLK:
    case ENFILE:
    case EMFILE:
    case EFBIG:
    case ENOSPC:
    case EDQUOT:
    case ENOBUFS:
    case ESTALE:
    case EREMOTE:
    case ENETDOWN:
    case ENETUNREACH:
    case ENETRESET:
    case ECONNABORTED:
    case ECONNRESET:
    case ECONNREFUSED:
    case EHOSTDOWN:
    case EHOSTUNREACH:
    case EBUSY:
    case EROFS:
        return true;
    default:
        return false;
    }
}

} // namespace mta
