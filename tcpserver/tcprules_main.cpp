// tcprules - compiles tcpserver access rules (ucspi-tcp syntax, plus CIDR) from standard
// input into a cdb: `tcprules rules.cdb rules.tmp < rules`. See docs/man/tcprules.8.md and
// lib/tcp_rules.hpp for the syntax and the cdb encoding.
// Exit codes: 0 rules.cdb replaced; 100 usage or syntax error (the line is named, rules.cdb
// is left as it was and rules.tmp removed); 111 a temporary failure (input unreadable, the
// table not written).
#include "exit_codes.hpp"
#include "fd.hpp"
#include "log.hpp"
#include "tcp_rules.hpp"

#include <cerrno>
#include <cstdio>
#include <string>
#include <unistd.h>

namespace {

constexpr size_t kMaxInputBytes = size_t { 64 } * 1024 * 1024;
constexpr size_t kMaxShownBytes = 100;

[[noreturn]] void die_usage()
{
    mta::log::fatal(mta::kExitPerm, "usage: tcprules rules.cdb rules.tmp < rules");
}

std::string read_input()
{
    std::string text;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(0, buf, sizeof buf);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            mta::log::fatal(mta::kExitTemp, "unable to read input", mta::Error::from_errno("read"));
        if (n == 0)
            return text;
        if (text.size() + size_t(n) > kMaxInputBytes)
            mta::log::fatal(mta::kExitPerm, "the rules are bigger than 64 MiB");
        text.append(buf, size_t(n));
    }
}

// Line number of the text, printable and at most kMaxShownBytes long.
std::string shown_line(std::string_view text, size_t number)
{
    for (size_t i = 1; i < number; ++i)
        text.remove_prefix(text.find('\n') + 1);
    text = text.substr(0, text.find('\n'));
    std::string out;
    for (unsigned char c : text.substr(0, kMaxShownBytes))
        out += (c < ' ' || c > '~') ? '?' : char(c);
    if (text.size() > kMaxShownBytes)
        out += "...";
    return out;
}

[[noreturn]] void die_syntax(
    std::string const& tmp, std::string_view text, size_t line, char const* problem)
{
    if (::unlink(tmp.c_str()) == -1 && errno != ENOENT)
        mta::log::warn("unable to remove " + tmp, mta::Error::from_errno("unlink"));
    mta::log::fatal(mta::kExitPerm,
        "syntax error on line " + std::to_string(line) + ": " + problem + ": "
            + shown_line(text, line));
}

} // namespace

int main(int argc, char** argv)
{
    return mta::run_main("tcprules", [&] {
        if (argc != 3 || !*argv[1] || !*argv[2])
            die_usage();
        std::string const cdb = argv[1];
        std::string const tmp = argv[2];
        std::string const text = read_input();
        auto const parsed = mta::tcp_rules::parse(text);
        if (!parsed.ok())
            die_syntax(tmp, text, parsed.line, parsed.problem);
        if (auto st = mta::tcp_rules::write_cdb(tmp, parsed.entries); !st)
            mta::log::fatal(mta::kExitTemp, "unable to write to " + tmp, st.error());
        if (std::rename(tmp.c_str(), cdb.c_str()) == -1)
            mta::log::fatal(mta::kExitTemp, "unable to move " + tmp + " to " + cdb,
                mta::Error::from_errno("rename"));
        if (auto st = mta::fsync_dir(mta::dirname_of(cdb)); !st)
            mta::log::fatal(mta::kExitTemp, "unable to sync the directory of " + cdb, st.error());
        return mta::kExitOk;
    });
}
