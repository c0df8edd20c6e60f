#include "headers.hpp"

#include "address.hpp"
#include "buffer.hpp"

#include <unistd.h>

namespace local {

namespace {

constexpr char const* kDays[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
constexpr char const* kMonths[]
    = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

void put_two_digits(std::string& out, int value)
{
    out += static_cast<char>('0' + value / 10 % 10);
    out += static_cast<char>('0' + value % 10);
}

void newlines_to_underscores(std::string& s)
{
    for (char& c : s) {
        if (c == '\n')
            c = '_';
    }
}

// qmail's quote2: the local part quoted when needed, the domain as it is.
std::string quote_sender(std::string_view sender)
{
    if (sender.empty())
        return "";
    auto const at = sender.rfind('@');
    if (at == std::string_view::npos)
        return mta::quote_local(sender);
    return mta::quote_local(sender.substr(0, at)) + std::string(sender.substr(at));
}

} // namespace

std::string return_path_line(std::string_view sender)
{
    std::string out = "Return-Path: <" + quote_sender(sender);
    newlines_to_underscores(out);
    return out + ">\n";
}

std::string delivered_to_line(std::string_view local_part, std::string_view host)
{
    std::string out = "Delivered-To: ";
    out += local_part;
    out += '@';
    out += host;
    newlines_to_underscores(out);
    return out + "\n";
}

std::string mbox_date(time_t when)
{
    struct tm tm;
    if (!::gmtime_r(&when, &tm))
        return "Thu Jan 01 00:00:00 1970"; // a time_t beyond the year range of struct tm
    std::string out = kDays[tm.tm_wday];
    out += ' ';
    out += kMonths[tm.tm_mon];
    out += ' ';
    put_two_digits(out, tm.tm_mday);
    out += ' ';
    put_two_digits(out, tm.tm_hour);
    out += ':';
    put_two_digits(out, tm.tm_min);
    out += ':';
    put_two_digits(out, tm.tm_sec);
    out += ' ';
    out += std::to_string(1900LL + tm.tm_year);
    return out;
}

std::string from_line(std::string_view sender, time_t when)
{
    std::string out = "From ";
    if (sender.empty()) {
        out += "MAILER-DAEMON";
    } else {
        for (char c : sender)
            out += (c == ' ' || c == '\t' || c == '\n') ? '-' : c;
    }
    out += ' ';
    out += mbox_date(when);
    out += '\n';
    return out;
}

Outcome<bool> has_line_in_header(int fd, std::string_view line)
{
    if (::lseek(fd, 0, SEEK_SET) == -1)
        return temp_rewind(mta::Error::from_errno("unable to rewind"));
    mta::Reader in(fd);
    std::string got;
    // line ends in LF and get_line stores lines without it: one byte more than the
    // wanted line can never match, so longer lines are skipped unread.
    size_t const max = line.empty() ? 1 : line.size();
    for (;;) {
        auto status = in.get_line(got, max);
        if (!status)
            return temp_read(status.error());
        if (*status == mta::LineStatus::eof || *status == mta::LineStatus::partial)
            return false;
        if (*status == mta::LineStatus::too_long) {
            if (auto st = in.skip_line(); !st)
                return temp_read(st.error());
            continue;
        }
        if (got.empty())
            return false;
        if (got.size() + 1 == line.size() && line.compare(0, got.size(), got) == 0
            && line.back() == '\n')
            return true;
    }
}

} // namespace local
