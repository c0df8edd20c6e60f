// signal_wait - how supervise, svscan and multilog wait: the signals they act on stay
// blocked except inside ppoll, so none arrives between a check and the wait, and the
// handler only records that each came; and the reaping of exited children.
//
//     m_wait_mask = sv::catch_signals({ SIGALRM, SIGTERM });
//     ::ppoll(&p, 1, nullptr, &m_wait_mask);       // where they are let in
//     if (sv::take_signal(SIGALRM)) rotate();
//     while (pid_t const pid = sv::next_exited_child()) forget(pid);
//
// Nothing is reported: sigaction and sigprocmask do not fail on valid signals, and a
// failing waitpid (no children) simply ends the reaping.
#pragma once

#include <csignal>
#include <initializer_list>
#include <sys/types.h>

namespace sv {

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

} // namespace sv
