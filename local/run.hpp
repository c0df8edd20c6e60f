// run - one whole local delivery, as bin/local's main() and lspawn's forked delivery
// children run it (qmail-local's main): parse the arguments, enter the home directory,
// check the message, pick the instructions and carry them out.
//
//     int main(int argc, char** argv)
//     {
//         return mta::run_main("local", [&] { return local::run(argc, argv); });
//     }
//
// The process state it expects is what lspawn gives local: the account's uid and gid
// only, the message file on fd 0, the output pipe on fd 1 and 2, the delivery
// environment in environ. It sets umask 077 and ignores SIGPIPE itself. It writes the
// success report ("did F+W+P", "qp N") to fd 1, or the failure text (one line, no program
// name) to fd 2, and returns the exit code: 0 delivered, 100 permanent failure, 111
// temporary failure. It never exits the process: a caller that forked it calls _exit.
#pragma once

#include <string>
#include <vector>

namespace local {

int run(int argc, char const* const* argv);

// The same with the argument vector as strings (argv[0] first).
int run(std::vector<std::string> const& argv);

} // namespace local
