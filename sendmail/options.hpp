// options - sendmail's command line, translated into what to run, the way qmail's
// sendmail wrapper does it (reference: qmail-behaviour.md section 9).
//
//     sendmail::Plan plan = sendmail::parse("sendmail", { "-oi", "-t", "-fbob@example.org" });
//     // plan.action == Action::inject
//     // plan.inject_args == { "-H", "-f", "bob@example.org", "--" }
//     // plan.env: unset QMAILNAME MAILNAME NAME QMAILHOST MAILHOST,
//     //           set QMAILHOST=example.org, QMAILUSER=bob
//
// Parsing follows qmail's getopt: options come first and may be grouped (`-oit`), an
// option's argument is the rest of its word or the next word (`-fbob`, `-f bob`),
// `--` ends the options, and the first word that does not start with `-` (or a lone `-`)
// starts the recipients. `-bp` decides at once (what follows is not looked at), as in
// qmail. Deviations from qmail, each on purpose:
//   - `--word` is an unknown option (qmail's getopt takes any `--...` as `--`);
//   - `-F name` wins over `-f`'s clearing of MAILNAME and over an inherited QMAILNAME
//     (in qmail `-f` silently dropped an earlier `-F`);
//   - `-f <addr>` loses one surrounding pair of angle brackets;
//   - `-f ''` (the null sender) leaves the environment alone, so a From line that inject
//     adds names the caller (qmail set QMAILUSER="" and got `From: <""@host>`);
//   - `-bs` runs ROOT/bin/smtpd -L (a local user's SMTP session on stdin and stdout;
//     qmail ran qmail-smtpd as it is) with the tcpserver variables and RELAYCLIENT unset.
// Nothing here fails: a bad command line is a Plan with Action::usage and a problem text.
#pragma once

#include "env.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sendmail {

enum class Action {
    inject, // run ROOT/bin/inject with inject_args and the env changes
    list_queue, // -bp, or invoked as mailq: run ROOT/bin/mailctl queue
    newaliases, // invoked as newaliases: say where aliases live, exit 100
    usage, // a usage error: problem, then the usage line; exit 100
    smtp, // -bs: run ROOT/bin/smtpd -L on standard input and output
};

// One change to inject's environment: set to value, or unset when value is empty.
struct EnvChange {
    std::string name;
    std::optional<std::string> value;
    bool operator==(EnvChange const&) const = default;
};

struct Plan {
    Action action = Action::inject;
    // inject's arguments after argv[0]: "-H" (-t) or "-a", then "-f" SENDER when given,
    // then "--" and the recipients from the command line.
    std::vector<std::string> inject_args;
    std::vector<EnvChange> env; // applied in order
    std::string problem; // usage: the one-line reason
};

inline constexpr const char* kUsage = "usage: sendmail [-t] [-i] [-f sender] [-F name] [-bm | -bp "
                                      "| -bs] [-oX] [--] [recipient ...]";

// invoked_as: the last component of argv[0] ("sendmail", "mailq", "newaliases");
// args: argv[1] onwards.
Plan parse(std::string_view invoked_as, std::vector<std::string> const& args);

// The last path component of argv[0].
std::string_view invoked_as(std::string_view argv0);

// Applies the plan's environment changes to env.
mta::Status apply_env(std::vector<EnvChange> const& changes, mta::EnvBuilder& env);

} // namespace sendmail
