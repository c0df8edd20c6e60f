// command - one POP3 command line split into its verb and argument (RFC 1939, 2449,
// 2595, 5034), and the number syntax of message arguments. Pure functions, fuzzed by
// fuzz/pop3_fuzz.cpp.
//
//     pop3d::Command c = pop3d::parse_command("RETR 1\r");
//     if (c.verb == pop3d::Verb::retr) ...          // c.arg == "1"
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pop3d {

// Longest line read; RFC 2449 allows 255 octets for a command, more for an AUTH
// continuation (base64).
inline constexpr size_t kMaxLineBytes = 1024;
// Errors (bad or refused commands) after which the connection is closed.
inline constexpr int kMaxErrors = 20;
// Failed logins after which the connection is closed.
inline constexpr int kMaxLoginFailures = 3;
inline constexpr int kIdleTimeoutMs = 10 * 60 * 1000;

enum class Verb {
    user,
    pass,
    apop,
    auth,
    capa,
    stls,
    quit,
    noop,
    stat,
    list,
    retr,
    dele,
    rset,
    top,
    uidl,
    unknown,
    empty,
};

struct Command {
    Verb verb = Verb::empty;
    std::string arg; // everything after the first space; "" when none
    bool has_arg = false;
};

// A trailing CR is dropped; the verb is case-insensitive.
Command parse_command(std::string_view line);

// A message number or line count: 1 to 9 decimal digits, nothing else.
std::optional<unsigned long> parse_number(std::string_view text);

// Arguments separated by single spaces (an empty one is kept, so "1  2" has three).
std::vector<std::string_view> split_args(std::string_view arg);

} // namespace pop3d
