// reception - the bytes of a message from the client to the queue program (DATA's
// dot-framed body, BDAT's counted chunks) and the replies that refuse or accept it.
//
//     smtpd::Reception reception(in);                 // in: the session's Reader
//     smtpd::MessageFilter filter(smtpd::Framing::dot, databytes);
//     if (auto st = reception.read_data(queue, filter); !st)
//         input_failed(st.error());                   // errnum 0: the client left
//     if (filter.problem() != smtpd::Problem::none)
//         return reply(smtpd::problem_reply(filter.problem()));
//     ... queue.close() ...
//     if (!result.ok()) reply(smtpd::queue_failure_reply(result.text));
//
// Reading fails with the Reader's Error (ETIMEDOUT: the client is too slow), or with a
// plain Error (errnum 0) when the input ends before the message or the chunk: either way
// the conversation is over, and a queue client destroyed without close() makes the queue
// program remove what it wrote. The bytes go through the MessageFilter (message.hpp),
// which decides what is stored and what is wrong with the message; nothing is put to the
// queue after its first problem.
#pragma once

#include "buffer.hpp"
#include "error.hpp"
#include "message.hpp"
#include "queue_client.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace smtpd {

class Reception {
public:
    explicit Reception(mta::Reader& in)
        : m_in(in)
    {
    }

    // DATA after the 354: reads up to and including CRLF.CRLF, a line or a buffer's worth
    // at a time.
    mta::Status read_data(mta::QueueClient& queue, MessageFilter& filter);
    // BDAT: reads exactly size bytes; without a filter (queue is then unused) they are
    // thrown away.
    mta::Status read_chunk(std::uint64_t size, mta::QueueClient* queue, MessageFilter* filter);
    // After the LAST chunk: what the filter still holds (MessageFilter::finish).
    void finish_chunks(mta::QueueClient& queue, MessageFilter& filter);

private:
    mta::Reader& m_in;
    std::string m_line;
    std::string m_stored;
};

// The refusal for a message with a problem: "550 5.6.0 ...", "552 5.3.4 ..." or
// "554 5.4.6 ..."; "" for Problem::none.
std::string problem_reply(Problem problem);

// The reply for a queue program failure: "451 4.3.0 text" or "554 5.x.x text", with the
// enhanced code taken from a "(#x.y.z)" in the text when there is one.
std::string queue_failure_reply(std::string_view text);

} // namespace smtpd
