// options - inject's command line, environment and control files, read once at start.
//
//     auto options = inject::parse_options(argc, argv);   // -n -N -a -A -h -H -f -F
//     if (!options) usage();                              // Error::plain("usage")
//     inject::Identity id = inject::identity_from(mta::env_get, options->name);
//     inject::Flags flags = inject::parse_flags(mta::env_or("QMAILINJECT", ""));
//     auto controls = inject::load_controls(root, mta::env_get);
//     if (!controls) die_temporarily(controls.error());   // an unreadable control file
//
// The environment is passed in as a lookup function so that tests need not change the
// process's own.
#pragma once

#include "error.hpp"
#include "message.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace inject {

inline constexpr char kUsage[]
    = "usage: inject [-nNaAhH] [-f sender] [-F name] [--] [recipient ...]";

enum class Recipients {
    args_or_header, // -A (default): the arguments if any, else the header
    args, // -a
    header, // -h: the header only; arguments are ignored
    both, // -H
};

struct Options {
    bool print = false; // -n: print instead of queueing
    Recipients recipients = Recipients::args_or_header;
    std::optional<std::string> sender; // -f
    std::optional<std::string> name; // -F
    std::vector<std::string> args; // recipients given as arguments
};

// Error::plain("usage") for an unknown option or a missing option argument.
mta::Result<Options> parse_options(int argc, char* const* argv);

// Whether the header's recipients are used, and the arguments'.
bool uses_header_recipients(Options const& options);
bool uses_argument_recipients(Options const& options);

using EnvLookup = std::function<std::optional<std::string_view>(char const*)>;

Flags parse_flags(std::string_view letters);

// QMAILUSER | MAILUSER | USER | LOGNAME | "anonymous"; QMAILHOST | MAILHOST; the name
// from -F, else QMAILNAME | MAILNAME | NAME; QMAILSUSER and QMAILSHOST for the envelope.
Identity identity_from(EnvLookup const& env, std::optional<std::string> const& name);

struct Controls {
    std::string defaulthost;
    std::string defaultdomain;
    std::string plusdomain;
    std::string idhost;
};

// ROOT/control/{defaulthost,defaultdomain,plusdomain,idhost}, each overridden by
// QMAILDEFAULTHOST, QMAILDEFAULTDOMAIN, QMAILPLUSDOMAIN, QMAILIDHOST; a missing file
// means control/me, and without me the file's own name (as qmail). Errors name the
// file that could not be read.
struct ControlError {
    std::string path;
    mta::Error error;
};
std::variant<Controls, ControlError> load_controls(std::string const& root, EnvLookup const& env);

// The addresses of QMAILMFTFILE (one per line, blank and # lines skipped); none when the
// variable is unset or the file missing.
mta::Result<std::vector<std::string>> load_followup_lists(EnvLookup const& env);

} // namespace inject
