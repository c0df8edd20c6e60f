// envelope - reads the envelope a caller writes on the queue's fd 1 and copies it, record
// by record, into the intd file (qmail-queue's envelope loop):
//
//     fd 1:  F<sender> NUL  T<recipient> NUL ...  NUL
//     intd:  F<sender> NUL  T<recipient> NUL ...            (after the u and p records)
//
//     mta::Reader in(1);
//     mta::Writer out(intd_fd);
//     int code = queue::copy_envelope(in, out);   // 0, or the queue exit code
//     if (code == 0 && !out.flush()) code = mta::kQueueWriteError;
//
// The result is 0 when the whole envelope up to its final NUL was copied (the rest of
// fd 1 is not read), else the exit code the queue program dies with:
//   11 an address longer than max_address bytes,
//   31 more than max_recipients recipients (a permanent refusal: the same envelope can
//      never be accepted),
//   91 the first record is not F, or a recipient record is not T,
//   54 end of input (or a read error) before the final NUL,
//   53 the copy could not be written.
// Memory stays constant: one record of at most max_address + 1 bytes at a time.
#pragma once

#include "buffer.hpp"

#include <cstddef>

namespace queue {

struct EnvelopeLimits {
    size_t max_address = 1002; // bytes, without the F/T byte and the NUL (qmail: 1003 - 1)
    size_t max_recipients = 10000;
};

int copy_envelope(mta::Reader& in, mta::Writer& out, EnvelopeLimits const& limits = {});

} // namespace queue
