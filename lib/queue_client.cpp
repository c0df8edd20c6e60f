#include "queue_client.hpp"

#include "env.hpp"
#include "exit_codes.hpp"

#include <algorithm>
#include <csignal>
#include <ctime>
#include <fcntl.h>
#include <unistd.h>

using namespace std::string_view_literals;

namespace mta {

namespace {

// The longest fd 6 text kept (exit 82); a longer one is cut.
constexpr size_t kMaxReplyText = 1000;

// write(2) that never raises SIGPIPE, whatever the caller's signal settings: SIGPIPE is
// blocked for the call, and one the call raised (with EPIPE, or with a short count when
// the reader left halfway) is taken off the pending set unless it was pending before.
// So a queue program that dies early is reported by close() through its exit code, not
// by killing the caller.
ssize_t write_without_sigpipe(int fd, void const* buf, size_t len)
{
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    sigset_t old_mask;
    ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old_mask);
    sigset_t pending;
    sigpending(&pending);
    bool const was_pending = sigismember(&pending, SIGPIPE) == 1;
    ssize_t n = ::write(fd, buf, len);
    int const saved_errno = errno;
    // A write cut short by the reader's exit raises SIGPIPE too, so check after every one.
    if (!was_pending && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
        timespec const zero { 0, 0 };
        while (::sigtimedwait(&pipe_only, nullptr, &zero) == -1 && errno == EINTR) { }
    }
    ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    errno = saved_errno;
    return n;
}

// The text a replacement queue program wrote on fd 6 before exit 82: 'D' or 'Z' and at
// least one more byte, up to the first NUL, CR or LF. Anything else is a temporary problem.
std::string reply_text(int fd)
{
    (void)set_nonblocking(fd, true); // a grandchild may hold fd 6 open: never wait
    std::string text;
    char buf[256];
    while (text.size() < kMaxReplyText) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        text.append(buf, static_cast<size_t>(n));
    }
    text = text.substr(
        0, std::min(text.find_first_of(std::string_view("\0\r\n", 3)), kMaxReplyText));
    if (text.size() < 2 || (text[0] != 'D' && text[0] != 'Z'))
        return queue_exit_text(kQueueCustomReply);
    return text;
}

} // namespace

struct QueueClient::State {
    Child child;
    pid_t pid = -1;
    Fd message; // our end of the queue's fd 0
    Fd envelope; // our end of the queue's fd 1
    Fd reply; // our end of the queue's fd 6
    Writer out { -1 }; // on message, then on envelope
    bool in_envelope = false;
    bool failed = false; // a write on our side failed: the queue may have seen garbage
    bool closed = false;
};

std::string queue_exit_text(int exit_code)
{
    switch (exit_code) {
    case 0:
        return "";
    case 115: // compatibility
    case kQueueAddressTooLong:
        return "Denvelope address too long for qq (#5.1.3)";
    case kQueuePermRefusal:
        return "Dmail server permanently rejected message (#5.3.0)";
    case kQueueNoMemory:
        return "Zqq out of memory (#4.3.0)";
    case kQueueTimeout:
        return "Zqq timeout (#4.3.0)";
    case kQueueWriteError:
        return "Zqq write error or disk full (#4.3.0)";
    case kQueueReadError:
        return "Zqq read error (#4.3.0)";
    case kQueueConfigError:
        return "Zqq unable to read configuration (#4.3.0)";
    case kQueueNetworkError:
        return "Zqq trouble making network connection (#4.3.0)";
    case kQueueHomeTrouble:
        return "Zqq trouble in home directory (#4.3.0)";
    case kQueueDirTrouble:
    case kQueuePidTrouble:
    case kQueueMessTrouble:
    case kQueueIntdTrouble:
    case kQueueTodoTrouble:
        return "Zqq trouble creating files in queue (#4.3.0)";
    case kQueueTempRefusal:
        return "Zmail server temporarily rejected message (#4.3.0)";
    case kQueueConnTimeout:
        return "Zconnection to mail server timed out (#4.4.1)";
    case kQueueConnRejected:
        return "Zconnection to mail server rejected (#4.4.1)";
    case kQueueConnFailed:
        return "Zcommunication with mail server failed (#4.4.2)";
    case kQueueEnvelopeFormat:
    case kQueueBug:
        return "Zqq internal bug (#4.3.0)";
    case kExitExecFailed:
        return "Zunable to exec qq (#4.3.0)";
    default:
        if (queue_exit_is_permanent(exit_code))
            return "Dqq permanent problem (#5.3.0)";
        return "Zqq temporary problem (#4.3.0)";
    }
}

Result<QueueClient> QueueClient::open(std::string const& root)
{
    std::string program = env_or("QMAILQUEUE", "");
    if (program.empty())
        program = root + "/bin/queue";
    auto message = make_pipe();
    if (!message)
        return message.error();
    auto envelope = make_pipe();
    if (!envelope)
        return envelope.error();
    auto reply = make_pipe();
    if (!reply)
        return reply.error();

    SpawnOptions options;
    options.fds = { { 0, message->read_end.get() }, { 1, envelope->read_end.get() },
        { 6, reply->write_end.get() } };
    options.cwd = root; // qmail.c runs the queue program in QMAILHOME; replacements may rely on it
    auto child = Child::spawn({ program }, options);
    if (!child)
        return child.error();

    QueueClient client;
    client.m_state = std::make_unique<State>();
    State& s = *client.m_state;
    s.pid = child->pid();
    s.child = std::move(*child);
    s.message = std::move(message->write_end);
    s.envelope = std::move(envelope->write_end);
    s.reply = std::move(reply->read_end);
    s.out = Writer(s.message.get(), 0, write_without_sigpipe);
    return client;
}

QueueClient::QueueClient(QueueClient&&) noexcept = default;

QueueClient& QueueClient::operator=(QueueClient&& other) noexcept
{
    if (this != &other) {
        abandon();
        m_state = std::move(other.m_state);
    }
    return *this;
}

QueueClient::~QueueClient()
{
    abandon();
}

void QueueClient::abandon()
{
    if (!m_state || m_state->closed)
        return;
    // Abandoned: end of input on both pipes makes the queue program remove what it wrote
    // and exit at once, so waiting here is short and leaves no zombie.
    m_state->message = Fd();
    m_state->envelope = Fd();
    (void)m_state->child.wait();
}

void QueueClient::put(std::string_view data)
{
    if (m_state->failed || m_state->closed)
        return;
    if (m_state->in_envelope || !m_state->out.put(data))
        m_state->failed = true;
}

// Ends the message (flush, close: the queue program sees end of input on fd 0) and
// points the writer at the envelope pipe.
void QueueClient::start_envelope()
{
    State& s = *m_state;
    s.in_envelope = true;
    if (!s.failed && !s.out.flush())
        s.failed = true;
    if (!s.message.close())
        s.failed = true;
    s.out = Writer(s.envelope.get(), 0, write_without_sigpipe);
}

void QueueClient::from(std::string_view sender)
{
    if (m_state->closed)
        return;
    if (m_state->in_envelope) {
        m_state->failed = true; // a second sender: the envelope would be malformed
        return;
    }
    start_envelope();
    put_record('F', sender);
}

void QueueClient::to(std::string_view recipient)
{
    if (m_state->closed)
        return;
    if (!m_state->in_envelope) {
        m_state->failed = true;
        return;
    }
    put_record('T', recipient);
}

void QueueClient::put_record(char type, std::string_view address)
{
    State& s = *m_state;
    if (s.failed)
        return;
    char const prefix[1] = { type };
    if (!s.out.put(std::string_view(prefix, 1)) || !s.out.put(address) || !s.out.put("\0"sv))
        s.failed = true;
}

QueueResult QueueClient::close()
{
    State& s = *m_state;
    if (s.closed)
        return { -1, "Zqq closed twice (#4.3.0)" };
    if (!s.in_envelope) {
        s.failed = true; // no sender given: end both streams, the queue program refuses
        start_envelope();
    } else if (!s.failed && (!s.out.put("\0"sv) || !s.out.flush())) {
        s.failed = true;
    }
    if (!s.envelope.close())
        s.failed = true;
    s.closed = true;

    auto status = s.child.wait();
    if (!status)
        return { -1, "Zqq waitpid surprise (#4.3.0)" };
    if (status->signaled)
        return { 128 + status->code_or_signal, "Zqq crashed (#4.3.0)" };
    int const code = status->code_or_signal;
    if (code == kQueueCustomReply)
        return { code, reply_text(s.reply.get()) };
    if (code == 0 && s.failed)
        return { code, queue_exit_text(kQueueReadError) };
    return { code, queue_exit_text(code) };
}

pid_t QueueClient::pid() const
{
    return m_state ? m_state->pid : -1;
}

} // namespace mta
