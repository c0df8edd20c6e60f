// deliver - the steps of one local delivery, in the order main() calls them (qmail-local's
// main, cut into named steps that return failures instead of exiting).
//
//     auto r = local::parse_args(argc, argv);              // perm_usage on a bad command line
//     local::enter_home(*r, doit);                         // chdir, writable/sticky checks
//     auto lines = local::added_lines(*r, time(nullptr));
//     local::check_message(0, lines.dtline);               // seekable, not looping
//     auto plan = local::choose_instructions(*r);          // .qmail, -default, defaultdelivery
//     auto counts = local::execute(*r, lines, *plan, 0, said);
//     write(1, local::report(*counts));                    // "did 1+0+0\n"
//
// Instructions run in file order; the first failure ends the delivery with its exit code;
// a program exiting 99 ends the loop early; the forwards are collected and queued last, in
// one queue call, even after a 99. With doit false (local -n) nothing is delivered and each
// instruction is described instead: "maildir X", "mbox X", "program X", "forward X".
#pragma once

#include "dot_qmail.hpp"
#include "environment.hpp"
#include "failure.hpp"

#include <ctime>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace local {

struct Args {
    bool doit = true; // false with -n
    Recipient recipient;
};

Outcome<Args> parse_args(int argc, char const* const* argv);

// chdir to the home directory and check it: writable by others (111), sticky (111, or a
// warning with -n: the result is then true, "print a warning").
Outcome<bool> enter_home(Recipient const& r, bool doit);

AddedLines added_lines(Recipient const& r, time_t now);

// The message on message_fd must be seekable and must not carry our Delivered-To line.
Fail check_message(int message_fd, std::string_view dtline);

struct Plan {
    std::vector<Instruction> instructions;
    std::string new_sender;
    std::optional<std::string> default_part; // $DEFAULT
    std::string safeext;
};

// The .qmail file for the address (in the current directory), or defaultdelivery when the
// user's own address has none or the file is empty.
Outcome<Plan> choose_instructions(Recipient const& r);

struct Counts {
    unsigned long files = 0;
    unsigned long forwards = 0;
    unsigned long programs = 0;
    pid_t qp = 0; // the queue program's pid when something was forwarded
};

// Runs (or with doit false, describes into said) the instructions.
Outcome<Counts> execute(
    Args const& args, AddedLines const& lines, Plan const& plan, int message_fd, std::string& said);

// "did F+W+P\n", plus "qp N\n" after a forward: the success report lspawn passes on.
std::string report(Counts const& counts);

} // namespace local
