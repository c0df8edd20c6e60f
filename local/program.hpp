// program - a .qmail program line ("|command"): run /bin/sh -c command in the home
// directory with the message on its standard input, as qmail-local's mailprogram().
//
//     auto verdict = local::run_program("preline /usr/bin/procmail", env.entries(), 0);
//     if (!verdict) return verdict.failure();      // could not run it, or it crashed
//     if (*verdict == local::ProgramVerdict::stop) ... // exit 99: skip the other lines
//
// The program's stdin is the message from its first byte, without Return-Path and
// Delivered-To (it finds them in $RPLINE and $DTLINE); its stdout and stderr are local's,
// so what it prints becomes the delivery report. SIGPIPE is at its default action.
// Exit codes: 0 delivered; 99 delivered, skip the remaining lines; 100 and 64, 65, 70,
// 76, 77, 78, 112 permanent failure; anything else a temporary failure. A program killed
// by a signal is a temporary failure "Aack, child crashed. (#4.3.0)".
#pragma once

#include "failure.hpp"

#include <string>
#include <vector>

namespace local {

enum class ProgramVerdict { delivered, stop, permanent, temporary };

ProgramVerdict classify_exit(int code);

// A failure only when the program could not be run or crashed; permanent and temporary
// verdicts are values (the caller turns them into exit codes).
Outcome<ProgramVerdict> run_program(
    std::string const& command, std::vector<std::string> const& env, int message_fd);

} // namespace local
