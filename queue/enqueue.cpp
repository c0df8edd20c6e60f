#include "enqueue.hpp"

#include "buffer.hpp"
#include "envelope.hpp"
#include "exit_codes.hpp"
#include "fd.hpp"
#include "install_root.hpp"
#include "process.hpp"
#include "queue_paths.hpp"
#include "received.hpp"

#include <array>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <new>
#include <poll.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace queue {

namespace {

constexpr unsigned kDeadlineSeconds = 86400; // qmail-queue's DEATH
constexpr int kPidAttempts = 9; // pid/PID.TIME.1 .. .9, as qmail-queue
constexpr size_t kCopyBufferSize = size_t { 64 } * 1024; // one pipe's worth per read

// What this process has made so far, for die(). The mess fd is also the pid file's (one
// inode, two names). Both files are flocked until exit: clean's sweep skips locked files.
struct Made {
    mta::Fd mess;
    std::string pid_path; // set while pid/PID.TIME.SEQ exists
    std::string mess_path; // set once mess/K/N is ours
    mta::Fd intd;
    std::string intd_path; // set once intd/K/N is ours
    bool committed = false; // todo/K/N exists: nothing may be removed any more
};

Made g_made;
std::array<char, kCopyBufferSize> g_buffer;

// Removes what this process made: mess, the pid name, then intd, clean's witness of an
// unfinished injection, so that a kill at any point in between still leaves something
// the sweep recognises. Files are truncated first so that their space comes back even if
// an unlink fails (qmail-queue's seek_trunc).
void remove_made()
{
    if (g_made.committed)
        return;
    auto remove = [](mta::Fd const& fd, std::string& path) {
        if (path.empty())
            return;
        (void)!::ftruncate(fd.get(), 0);
        ::unlink(path.c_str());
        path.clear();
    };
    remove(g_made.mess, g_made.mess_path);
    if (!g_made.pid_path.empty())
        ::unlink(g_made.pid_path.c_str());
    remove(g_made.intd, g_made.intd_path);
}

extern "C" void on_alarm(int)
{
    ::_exit(mta::kQueueTimeout); // no cleanup here: clean's sweep removes the leftovers
}

std::string number(unsigned long n)
{
    return std::to_string(n);
}

// 1. A fresh name in pid/ yields a fresh inode; its number N names the message.
void create_pid_file(Caller const& caller)
{
    for (int seq = 1; seq <= kPidAttempts; ++seq) {
        std::string path = std::string(mta::kPidDir) + "/" + number(caller.pid) + "."
            + number(static_cast<unsigned long>(caller.start)) + "." + number(seq);
        auto fd = mta::open_excl(path, 0644);
        if (fd) {
            g_made.mess = std::move(*fd);
            g_made.pid_path = std::move(path);
            // Held until exit: clean never removes the files of a running injection.
            if (::flock(g_made.mess.get(), LOCK_EX) == -1)
                die(mta::kQueuePidTrouble);
            return;
        }
        if (fd.error().errnum != EEXIST)
            die(mta::kQueuePidTrouble);
    }
    die(mta::kQueuePidTrouble);
}

unsigned long message_number()
{
    struct stat st;
    if (::fstat(g_made.mess.get(), &st) == -1)
        die(mta::kQueuePidTrouble);
    return static_cast<unsigned long>(st.st_ino);
}

// 4. The Received line and the message, through one fixed buffer: constant memory.
void write_message(int message_fd, std::string const& received)
{
    size_t used = std::min(received.size(), g_buffer.size());
    std::memcpy(g_buffer.data(), received.data(), used);
    for (;;) {
        ssize_t n = ::read(message_fd, g_buffer.data() + used, g_buffer.size() - used);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1 && errno == EAGAIN) { // a caller's non-blocking pipe: wait for it
            pollfd p { message_fd, POLLIN, 0 };
            if (::poll(&p, 1, -1) >= 0 || errno == EINTR)
                continue;
        }
        if (n == -1)
            die(mta::kQueueReadError);
        if (n == 0)
            break;
        used += static_cast<size_t>(n);
        if (used < g_buffer.size())
            continue;
        if (!mta::write_all(g_made.mess.get(), std::string_view(g_buffer.data(), used)))
            die(mta::kQueueWriteError);
        used = 0;
    }
    if (!mta::write_all(g_made.mess.get(), std::string_view(g_buffer.data(), used)))
        die(mta::kQueueWriteError);
}

// 2. intd/K/N, locked. A stale one can only be left by an injection whose mess inode N
// has since been freed (we hold N now), so it is removed and the name taken.
void create_intd(unsigned long n)
{
    std::string path = mta::hashed_path(mta::kIntdDir, n);
    auto fd = mta::open_excl(path, 0644);
    if (!fd && fd.error().errnum == EEXIST && ::unlink(path.c_str()) == 0)
        fd = mta::open_excl(path, 0644);
    if (!fd)
        die(mta::kQueueIntdTrouble);
    g_made.intd = std::move(*fd);
    g_made.intd_path = std::move(path);
    if (::flock(g_made.intd.get(), LOCK_EX) == -1)
        die(mta::kQueueIntdTrouble);
}

// u<uid> p<pid> F<sender> T<recipient>... each NUL-terminated, as qmail-queue writes them.
void write_envelope(Caller const& caller, int envelope_fd)
{
    mta::Writer out(g_made.intd.get());
    std::string head = "u" + number(caller.uid) + '\0' + "p" + number(caller.pid) + '\0';
    if (!out.put(head))
        die(mta::kQueueWriteError);
    mta::Reader in(envelope_fd);
    if (int code = copy_envelope(in, out))
        die(code);
    if (!out.flush())
        die(mta::kQueueWriteError);
}

} // namespace

void start_deadline()
{
    struct sigaction action { };
    action.sa_handler = on_alarm;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGALRM, &action, nullptr);
    ::alarm(kDeadlineSeconds);
    // Only the trigger fifo is written; its reader going away must not kill a committed
    // injection before it exits 0.
    mta::ignore_sigpipe();
}

Caller identify_caller()
{
    Caller caller { ::getuid(), ::getpid(), ::time(nullptr), "" };
    caller.received
        = received_line(caller.pid, invoked_by(caller.uid, lookup_invokers()), caller.start);
    return caller;
}

void enter_queue_dir()
{
    auto root = mta::install_root();
    if (!root || ::chdir(root->c_str()) == -1)
        die(mta::kQueueHomeTrouble);
    if (::chdir("queue") == -1)
        die(mta::kQueueDirTrouble);
    ::umask(033);
}

// The whole sequence, in the order that makes it crash-safe; docs/INTERNALS.md "Queue
// write order and fsyncs" justifies every step and every fsync.
void enqueue(Caller const& caller, int message_fd, int envelope_fd)
{
    // 1. pid/PID.TIME.SEQ, O_EXCL, locked; its inode number is N.
    create_pid_file(caller);
    unsigned long const n = message_number();

    // 2. intd/K/N, locked, before the message has a name: from here until the commit,
    //    "intd without todo" tells clean's sweep that this injection never committed.
    create_intd(n);

    // 3. The pid file's inode becomes mess/K/N; the pid name has done its job.
    std::string mess_path = mta::hashed_path(mta::kMessDir, n);
    if (::link(g_made.pid_path.c_str(), mess_path.c_str()) == -1)
        die(mta::kQueueMessTrouble);
    g_made.mess_path = std::move(mess_path);
    if (::unlink(g_made.pid_path.c_str()) == -1)
        die(mta::kQueuePidTrouble);
    g_made.pid_path.clear();

    // 4. Received line + message, then the envelope. Not fsynced yet: step 5 syncs both.
    write_message(message_fd, caller.received);
    write_envelope(caller, envelope_fd);

    // 5. Durable before the commit: both files' data and inodes, and the name mess/K/N
    //    (todo without mess would be a lost message). Writeback of both files starts
    //    first, so that one device flush or journal commit can carry both.
    (void)::sync_file_range(g_made.mess.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
    (void)::sync_file_range(g_made.intd.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
    if (!mta::fsync_fd(g_made.mess.get()) || !mta::fsync_fd(g_made.intd.get()))
        die(mta::kQueueWriteError);
    if (!mta::fsync_dir(mta::hashed_dir(mta::kMessDir, n)))
        die(mta::kQueueMessTrouble);

    // 6. The commit point: intd/K/N linked to todo/K/N. From here nothing is removed on
    //    failure: send may already be reading it. Exit 0 only once the entry is durable.
    std::string const todo_path = mta::hashed_path(mta::kTodoDir, n);
    if (::link(g_made.intd_path.c_str(), todo_path.c_str()) == -1)
        die(mta::kQueueTodoTrouble);
    g_made.committed = true;
    if (!mta::fsync_dir(mta::hashed_dir(mta::kTodoDir, n)))
        die(mta::kQueueTodoTrouble);
}

void pull_trigger()
{
    int fd = ::open(std::string(mta::kTriggerPath).c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd == -1)
        return; // no reader: send is not running, it scans todo/ when it starts
    ssize_t n = ::write(fd, "", 1);
    (void)n;
    ::close(fd);
}

void die(int code)
{
    remove_made();
    ::_exit(code);
}

int guarded(std::function<int()> const& body)
{
    try {
        return body();
    } catch (std::bad_alloc const&) {
        die(mta::kQueueNoMemory);
    } catch (...) {
        die(mta::kQueueBug);
    }
}

} // namespace queue
