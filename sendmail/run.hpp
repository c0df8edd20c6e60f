// run - what sendmail does with a Plan: replace itself with inject or `mailctl queue`, or
// print the final diagnostic and exit. Every function here ends the process.
//
//     sendmail::Plan plan = sendmail::parse(sendmail::invoked_as(argv[0]), args);
//     if (plan.action == sendmail::Action::inject)
//         sendmail::exec_inject(root, plan);       // never returns
//
// Programs are run with execve (no shell, no PATH search) from ROOT/bin, so the exit
// status the caller sees is the program's own. A failed exec is "unable to run ..."
// with exit 111; diagnostics are one line "sendmail: fatal: ..." on stderr.
#pragma once

#include "options.hpp"

#include <string>
#include <vector>

namespace sendmail {

// inject's full argv: ROOT/bin/inject followed by plan.inject_args.
std::vector<std::string> inject_argv(std::string const& root, Plan const& plan);

// The queue directories a listing reads; the first one this process may not read and
// search, or "" when all are readable (or missing: mailctl then names the problem).
std::string unreadable_queue_dir(std::string const& root);

[[noreturn]] void exec_inject(std::string const& root, Plan const& plan);
// Needs read access to the queue (root); otherwise "listing the queue needs root", 100.
[[noreturn]] void exec_queue_listing(std::string const& root);
[[noreturn]] void die_usage(std::string const& problem);
// -bs: replaces this process with ROOT/bin/smtpd -L, the tcpserver variables, RELAYCLIENT,
// SMTPS and DATABYTES removed from the environment.
[[noreturn]] void exec_smtpd(std::string const& root);
[[noreturn]] void die_newaliases(std::string const& root);

} // namespace sendmail
