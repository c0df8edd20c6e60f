#include "options.hpp"

#include "env.hpp"
#include "number.hpp"

#include <string_view>
#include <unistd.h>

namespace tcpserver {

namespace {

std::optional<unsigned long> number(std::string_view text, unsigned long max)
{
    auto v = mta::parse_decimal<unsigned long>(text);
    if (!v || *v > max)
        return std::nullopt;
    return v;
}

mta::Error plain(char const* what)
{
    return mta::Error::plain(what);
}

// A yes/no option without an argument: its letter, the value it sets and the field.
struct Switch {
    char letter;
    bool value;
    bool Options::*field;
};

constexpr Switch kSwitches[] = {
    { 'X', true, &Options::allow_missing_rules },
    { '1', true, &Options::print_port },
    { 'd', false, &Options::nodelay },
    { 'D', true, &Options::nodelay },
    { 'o', false, &Options::kill_ip_options },
    { 'O', true, &Options::kill_ip_options },
    { 'h', true, &Options::remote_host },
    { 'H', false, &Options::remote_host },
    { 'p', true, &Options::paranoid },
    { 'P', false, &Options::paranoid },
    { 'r', true, &Options::remote_info },
    { 'R', false, &Options::remote_info },
};

// The options without an argument: kSwitches and the verbosity (-q 0, -Q 1, -v 2).
// Returns false when c is none of them.
bool set_switch(int c, Options& o)
{
    for (auto const& s : kSwitches) {
        if (c == s.letter) {
            o.*s.field = s.value;
            return true;
        }
    }
    constexpr std::string_view kVerbosity = "qQv"; // index = level
    if (size_t const level = kVerbosity.find(static_cast<char>(c));
        level != std::string_view::npos) {
        o.verbosity = static_cast<int>(level);
        return true;
    }
    return false;
}

// The options with a text argument (-x -B -u -g -l) and -U. Returns false when c is none
// of them.
bool set_text(int c, std::string_view arg, Options& o)
{
    switch (c) {
    case 'x':
        o.rules = std::string(arg);
        return true;
    case 'B':
        o.banner = arg;
        return true;
    case 'u':
        o.user = std::string(arg);
        return true;
    case 'g':
        o.group = std::string(arg);
        return true;
    case 'l':
        o.local_host = std::string(arg);
        return true;
    case 'U':
        if (auto uid = mta::env_get("UID"))
            o.user = std::string(*uid);
        if (auto gid = mta::env_get("GID"))
            o.group = std::string(*gid);
        return true;
    default:
        return false;
    }
}

// The options with a number (-c -C -b -t). Any other c is an unknown option (getopt's
// '?') or one without its argument: both are refused here.
mta::Status set_number(int c, std::string_view arg, Options& o)
{
    switch (c) {
    case 'c': {
        auto n = number(arg, kMaxLimit);
        if (!n || *n == 0)
            return plain("-c wants a number from 1 to 100000");
        o.limit = *n;
        return {};
    }
    case 'C': {
        auto n = number(arg, kMaxLimit);
        if (!n)
            return plain("-C wants a number from 0 (no limit) to 100000");
        o.per_ip = *n;
        return {};
    }
    case 'b': {
        auto n = number(arg, 65535);
        if (!n)
            return plain("-b wants a number from 0 to 65535");
        o.backlog = int(*n);
        return {};
    }
    case 't': {
        auto n = number(arg, 3600);
        if (!n)
            return plain("-t wants a number of seconds up to 3600");
        o.ident_timeout = *n;
        return {};
    }
    default:
        return plain("unknown option or missing option argument");
    }
}

// The operands after the options, from ::optind on: host, port, program and its arguments.
mta::Status take_operands(int argc, char** argv, Options& o)
{
    if (::optind >= argc)
        return plain("missing host");
    o.host = argv[::optind++];
    if (::optind >= argc)
        return plain("missing port");
    o.port = argv[::optind++];
    if (::optind >= argc)
        return plain("missing program");
    o.program.assign(argv + ::optind, argv + argc);
    return {};
}

} // namespace

mta::Result<Options> parse_options(int argc, char** argv)
{
    Options o;
    ::optind = 0; // glibc: start afresh (tests parse several command lines)
    ::opterr = 0;
    int c;
    while ((c = ::getopt(argc, argv, "+dDvqQhHrRoO1UXx:t:u:g:l:b:B:c:C:pP")) != -1) {
        std::string_view const arg = ::optarg ? ::optarg : "";
        if (set_switch(c, o) || set_text(c, arg, o))
            continue;
        if (auto st = set_number(c, arg, o); !st)
            return st.error();
    }
    if (auto st = take_operands(argc, argv, o); !st)
        return st.error();
    if ((o.user && o.user->empty()) || (o.group && o.group->empty()))
        return plain("-u and -g want a number or a name");
    return o;
}

} // namespace tcpserver
