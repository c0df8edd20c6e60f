// queue_client - the client side of the queue protocol, for every program that puts mail
// into the queue (inject, smtpd, local's forwards, send's bounces), like qmail's qmail.c.
//
//     auto q = mta::QueueClient::open(root);        // runs ROOT/bin/queue, or $QMAILQUEUE
//     if (!q) fail_temporarily(q.error());
//     q->put(header_bytes); q->put(body_bytes);     // the message, streamed
//     q->from("sender@example.org");
//     q->to("rcpt@example.net");
//     mta::QueueResult r = q->close();              // waits for the queue program
//     if (!r.ok()) reply(r.text);                   // "Zqq write error or disk full (#4.3.0)"
//
// put/from/to never fail on their own: like qmail_put, a write error is remembered and
// reported by close(). close() maps the queue's exit code to qmail.c's texts: the first
// byte of text is 'D' (permanent) or 'Z' (temporary); for exit 82 the text is what the
// queue program wrote on fd 6. On success text is empty and queue_id holds nothing
// (the queue's pid is in the Received line; callers that need it read `pid()`).
//
// Writes never raise SIGPIPE in the caller (it is blocked around each write), so a queue
// program that dies early shows up as its exit code from close(). A client destroyed
// without close() ends both streams; the queue program then removes what it wrote and
// exits, and the destructor waits for it. The message must be complete before from():
// like qmail_from, from() ends the message stream. A moved-from client may only be
// destroyed or assigned to.
#pragma once

#include "buffer.hpp"
#include "error.hpp"
#include "fd.hpp"
#include "process.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace mta {

struct QueueResult {
    // The queue program's exit code (120: could not be run); 128 + N when signal N killed
    // it, -1 when it could not be waited for.
    int exit_code = 0;
    std::string text; // "" on success, else 'D' or 'Z' followed by a reply text
    bool ok() const { return exit_code == 0 && text.empty(); }
    bool permanent() const { return !text.empty() && text[0] == 'D'; }
};

// The caller-side text for a queue exit code, as qmail.c maps them ("" for 0).
std::string queue_exit_text(int exit_code);

class QueueClient {
public:
    // Starts the queue program: $QMAILQUEUE when set, else ROOT/bin/queue.
    static Result<QueueClient> open(std::string const& root);

    QueueClient(QueueClient&&) noexcept; // defined where State is complete
    QueueClient& operator=(QueueClient&&) noexcept;
    ~QueueClient();

    void put(std::string_view data);
    void from(std::string_view sender);
    void to(std::string_view recipient);
    QueueResult close();
    pid_t pid() const;

private:
    QueueClient() = default;
    void abandon();
    void start_envelope();
    void put_record(char type, std::string_view address);

    // The pipes for fd 0, 1 and 6, the child, the writer, the first error seen.
    struct State;
    std::unique_ptr<State> m_state;
};

} // namespace mta
