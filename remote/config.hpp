// config - remote's command line and control files, read once at startup (style 2.7).
//
//     remote::Config const config = remote::load_config(argc, argv);   // dies on problems
//
// `remote host sender recipient...`. A usage error ends the program with exit 100 and a
// line on stderr; a control file that exists but cannot be read, or holds a bad value,
// ends it as qmail-remote does: a Z record on stdout ("Unable to read control files") and
// exit 0. Defaults (docs/man/remote.8.md): helohost = me (one of them is required),
// timeoutconnect 60, timeoutremote 1200, timeoutdns 30, locals (me is always added), no
// smtproutes, no resolvers (the system's), no tlsdestinations, no tlsca (the system's CA
// store).
#pragma once

#include <string>
#include <vector>

namespace remote {

struct Config {
    std::string root;
    std::string host; // the domain of the recipients (rspawn: after the last '@')
    std::string sender;
    std::vector<std::string> recipients;

    std::string helohost;
    int timeoutconnect = 60; // seconds
    int timeoutremote = 1200;
    int timeoutdns = 30;
    std::vector<std::string> locals;
    std::vector<std::string> smtproutes;
    std::vector<std::string> resolvers;
    std::vector<std::string> tlsdestinations;
    std::string tlsca; // a PEM file replacing the system CA store, or empty
};

Config load_config(int argc, char** argv);

// The control files of c.root into c (host, sender and recipients are left alone); false
// when one exists but cannot be read or holds a bad value (the caller reports
// kControlTrouble). rspawn's delivery children call it for every delivery, as every run
// of remote does: a change of a control file counts from the next delivery on.
bool read_controls(Config& c);
inline constexpr char const* kControlTrouble = "ZUnable to read control files. (#4.3.0)\n";

// True when host must be reached with verified TLS: a line equal to host, or a line
// ".suffix" that host ends with (case-insensitive). Pure.
bool tls_required(std::vector<std::string> const& tlsdestinations, std::string const& host);

// Writes one record (letter, text, NUL) to stdout and exits 0: qmail-remote's quit().
[[noreturn]] void die_record(std::string const& record);

} // namespace remote
