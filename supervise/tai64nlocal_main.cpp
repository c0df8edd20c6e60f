// tai64nlocal - converts the TAI64N labels at the start of lines to local time
// (daemontools' tai64nlocal): `tai64nlocal < log`. A line starting with `@` and 24 hex
// digits gets them replaced by `YYYY-MM-DD HH:MM:SS.nnnnnnnnn`; other lines pass
// unchanged. See docs/man/tai64nlocal.8.md. Exit codes: 0, 111 read or write failure.
#include "buffer.hpp"
#include "exit_codes.hpp"
#include "log.hpp"
#include "tai64n.hpp"

#include <cstdio>
#include <ctime>

namespace {

std::string convert(std::string const& line)
{
    if (line.size() < mta::kTai64nLabelLength || line[0] != '@')
        return line;
    auto ts = mta::tai64n_parse(std::string_view(line).substr(0, mta::kTai64nLabelLength));
    struct tm tm { };
    if (!ts || !::localtime_r(&ts->tv_sec, &tm))
        return line;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%09ld", tm.tm_year + 1900,
        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts->tv_nsec);
    return buf + line.substr(mta::kTai64nLabelLength);
}

[[noreturn]] void die(const char* what, mta::Error e)
{
    mta::log::fatal(mta::kExitTemp, what, e);
}

} // namespace

int main()
{
    return mta::run_main("tai64nlocal", [&] {
        ::tzset();
        mta::Reader in(0);
        mta::Writer out(1);
        std::string line;
        bool at_start = true; // false after a piece of an over-long line
        for (;;) {
            auto got = in.get_line(line, 1 << 20);
            if (!got)
                die("unable to read input", got.error());
            if (*got == mta::LineStatus::eof)
                break;
            auto st = out.put(at_start ? convert(line) : line);
            at_start = *got != mta::LineStatus::too_long;
            if (st && *got != mta::LineStatus::too_long && *got != mta::LineStatus::partial)
                st = out.put("\n");
            if (!st)
                die("unable to write output", st.error());
            if (*got == mta::LineStatus::partial)
                break;
        }
        if (auto st = out.flush(); !st)
            die("unable to write output", st.error());
        return mta::kExitOk;
    });
}
