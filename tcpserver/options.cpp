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

} // namespace

mta::Result<Options> parse_options(int argc, char** argv)
{
    Options o;
    ::optind = 0; // glibc: start afresh (tests parse several command lines)
    ::opterr = 0;
    int c;
    while ((c = ::getopt(argc, argv, "+dDvqQhHrRoO1UXx:t:u:g:l:b:B:c:C:pP")) != -1) {
        std::string_view const arg = ::optarg ? ::optarg : "";
        switch (c) {
        case 'c': {
            auto n = number(arg, kMaxLimit);
            if (!n || *n == 0)
                return plain("-c wants a number from 1 to 100000");
            o.limit = *n;
            break;
        }
        case 'C': {
            auto n = number(arg, kMaxLimit);
            if (!n)
                return plain("-C wants a number from 0 (no limit) to 100000");
            o.per_ip = *n;
            break;
        }
        case 'b': {
            auto n = number(arg, 65535);
            if (!n)
                return plain("-b wants a number from 0 to 65535");
            o.backlog = int(*n);
            break;
        }
        case 't': {
            auto n = number(arg, 3600);
            if (!n)
                return plain("-t wants a number of seconds up to 3600");
            o.ident_timeout = *n;
            break;
        }
        case 'x':
            o.rules = std::string(arg);
            break;
        case 'X':
            o.allow_missing_rules = true;
            break;
        case 'B':
            o.banner = arg;
            break;
        case 'u':
            o.user = std::string(arg);
            break;
        case 'g':
            o.group = std::string(arg);
            break;
        case 'U':
            if (auto uid = mta::env_get("UID"))
                o.user = std::string(*uid);
            if (auto gid = mta::env_get("GID"))
                o.group = std::string(*gid);
            break;
        case '1':
            o.print_port = true;
            break;
        case 'd':
            o.nodelay = false;
            break;
        case 'D':
            o.nodelay = true;
            break;
        case 'o':
            o.kill_ip_options = false;
            break;
        case 'O':
            o.kill_ip_options = true;
            break;
        case 'q':
            o.verbosity = 0;
            break;
        case 'Q':
            o.verbosity = 1;
            break;
        case 'v':
            o.verbosity = 2;
            break;
        case 'h':
            o.remote_host = true;
            break;
        case 'H':
            o.remote_host = false;
            break;
        case 'p':
            o.paranoid = true;
            break;
        case 'P':
            o.paranoid = false;
            break;
        case 'l':
            o.local_host = std::string(arg);
            break;
        case 'r':
            o.remote_info = true;
            break;
        case 'R':
            o.remote_info = false;
            break;
        default:
            return plain("unknown option or missing option argument");
        }
    }
    if (::optind >= argc)
        return plain("missing host");
    o.host = argv[::optind++];
    if (::optind >= argc)
        return plain("missing port");
    o.port = argv[::optind++];
    if (::optind >= argc)
        return plain("missing program");
    o.program.assign(argv + ::optind, argv + argc);
    if ((o.user && o.user->empty()) || (o.group && o.group->empty()))
        return plain("-u and -g want a number or a name");
    return o;
}

} // namespace tcpserver
