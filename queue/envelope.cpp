#include "envelope.hpp"

#include "exit_codes.hpp"

#include <string>

namespace queue {

namespace {

// Reads one NUL-terminated record into `record` (without the NUL). Returns 0 or the exit
// code; `record` is empty for the list's final NUL. The type byte is checked before the
// length, as qmail-queue does: a long record of the wrong type is a format error.
int read_record(mta::Reader& in, std::string& record, char type, size_t max_address)
{
    auto got = in.get_line(record, max_address + 1, '\0');
    if (!got)
        return mta::kQueueReadError;
    switch (*got) {
    case mta::LineStatus::line:
        break;
    case mta::LineStatus::eof:
    case mta::LineStatus::partial:
        return mta::kQueueReadError;
    case mta::LineStatus::too_long:
        return record[0] == type ? mta::kQueueAddressTooLong : mta::kQueueEnvelopeFormat;
    }
    if (!record.empty() && record[0] != type)
        return mta::kQueueEnvelopeFormat;
    return 0;
}

int put_record(mta::Writer& out, std::string const& record)
{
    if (!out.put(std::string_view(record.data(), record.size() + 1))) // with its NUL
        return mta::kQueueWriteError;
    return 0;
}

} // namespace

int copy_envelope(mta::Reader& in, mta::Writer& out, EnvelopeLimits const& limits)
{
    std::string record;
    record.reserve(limits.max_address + 2);
    if (int code = read_record(in, record, 'F', limits.max_address))
        return code;
    if (record.empty()) // the first record must be F<sender>, even for the empty sender
        return mta::kQueueEnvelopeFormat;
    if (int code = put_record(out, record))
        return code;
    for (size_t recipients = 0;; ++recipients) {
        if (int code = read_record(in, record, 'T', limits.max_address))
            return code;
        if (record.empty())
            return 0;
        if (recipients == limits.max_recipients)
            return mta::kQueuePermRefusal;
        if (int code = put_record(out, record))
            return code;
    }
}

} // namespace queue
