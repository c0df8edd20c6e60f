// activity_log - send's log: qmail-send's lines on descriptor 0, so that log analysers
// written for qmail (qmailanalog and its successors) read ours.
//
//     send::ActivityLog log(0);
//     log.line("delivery 5: success: " + send::log_safe(text));   // "did_0+0+1/"
//     log.flush();                                 // once per turn of the main loop
//
// Lines are collected and written by flush() (and whenever a lot is pending), so a busy
// turn of the loop costs one write. A failing write is ignored: there is nowhere else to
// report it, and mail must not wait for the log. log_safe() is qmail's logsafe: every
// text that comes from outside (addresses, delivery reports) goes through it.
#pragma once

#include <string>
#include <string_view>

namespace send {

// LF becomes '/', and '%', space, control characters and bytes above 126 become '_'.
std::string log_safe(std::string_view text);

class ActivityLog {
public:
    explicit ActivityLog(int fd)
        : m_fd(fd)
    {
    }

    // Adds one line; text must not end with a newline (one is added).
    void line(std::string_view text);
    void flush();

private:
    int m_fd;
    std::string m_pending;
};

// Unlinks path; a file already gone counts as removed. false after a warning on log.
bool remove_or_warn(std::string const& path, ActivityLog& log);

} // namespace send
