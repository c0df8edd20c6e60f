// signal_wait - how a long-running program (supervise, svscan, multilog, send) waits: the
// signals it acts on stay blocked except inside ppoll, so none arrives between a check
// and the wait, and the handler only records that each came; and the reaping of exited
// children.
//
//     m_wait_mask = mta::catch_signals({ SIGALRM, SIGTERM });
//     ::ppoll(&p, 1, nullptr, &m_wait_mask);       // where they are let in
//     if (mta::take_signal(SIGALRM)) rotate();
//     while (pid_t const pid = mta::next_exited_child()) forget(pid);
//
// Nothing is reported: sigaction and sigprocmask do not fail on valid signals, and a
// failing waitpid (no children) simply ends the reaping.
#pragma once

#include <csignal>
#include <initializer_list>
#include <sys/types.h>

namespace mta {

// Installs the recording handler for each of signals and blocks them. Returns the mask
// to wait with: the signal mask from before, without signals.
sigset_t catch_signals(std::initializer_list<int> signals);

// Whether sig came since it was last taken or cleared.
bool signal_seen(int sig);
// signal_seen, and forgets it.
bool take_signal(int sig);
void clear_signal(int sig);

// Reaps one child that has exited and returns its pid; 0 when none has (or there are no
// children). Never blocks.
pid_t next_exited_child();

} // namespace mta
