// enqueue - the queue program's crash-safe write sequence (qmail-queue's main), with the
// changes of DESIGN section 4: hashed todo/ and intd/, and fsyncs of the directories
// whose entries a crash must not lose. docs/INTERNALS.md "Queue write order and fsyncs"
// explains each step; the numbers are lib/exit_codes.hpp's.
//
//     queue::start_deadline();                       // alarm 86400: exit 52
//     queue::Caller caller = queue::identify_caller();
//     queue::enter_queue_dir();                      // ROOT/queue, umask 033 (61, 62)
//     queue::enqueue(caller, 0, 1);                  // returns once the message is queued
//     queue::pull_trigger();
//
// Nothing here returns an error: every failure ends the process with its exit code
// through die(), which first removes the files this process made (mess, pid, intd) --
// unless the commit point was passed, after which nothing is ever removed. The program
// prints nothing, as qmail-queue.
#pragma once

#include <functional>
#include <string>
#include <sys/types.h>

namespace queue {

struct Caller {
    uid_t uid; // the real uid: who asked, not msq
    pid_t pid; // this process (the "qp" in logs)
    time_t start; // in the pid file's name and the Received line
    std::string received; // "Received: ...\n"
};

// Sets the 24-hour alarm (exit 52 without cleanup: clean's sweep removes what is left)
// and ignores SIGPIPE.
void start_deadline();

// Who called, and the Received line naming it.
Caller identify_caller();

// chdir(ROOT) (61), chdir("queue") (62), umask 033.
void enter_queue_dir();

// Takes the message from message_fd and the envelope from envelope_fd and queues them.
void enqueue(Caller const& caller, int message_fd, int envelope_fd);

// Tells send that todo/ has something: one byte into lock/trigger, errors ignored.
void pull_trigger();

// Removes what this process made (unless committed) and exits with code.
[[noreturn]] void die(int code);

// Runs body; out of memory is exit 51 and any other escaping exception exit 81, both
// after the usual cleanup.
int guarded(std::function<int()> const& body);

} // namespace queue
