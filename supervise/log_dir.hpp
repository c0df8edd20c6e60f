// log_dir - one automatically rotated log directory of multilog (daemontools layout):
//
//     lock                   flock, held while multilog writes here
//     current                the file being written (mode 0644; 0744 once finished cleanly)
//     @<tai64n>.s            a finished log, complete (after the processor, if any)
//     @<tai64n>.u            a current found unfinished at startup (multilog was killed)
//     previous, processed,   the processor's input and output while it runs, and its
//     state, newstate        state in and out (fd 4 and fd 5)
//
//     auto dir = sv::LogDir::open(settings);     // lock, recover, open current
//     if (!dir) die(dir.error());
//     dir->append("@4000... line\n");            // buffered; rotates at the size limit
//     dir->flush();                              // the buffered lines into current
//     dir->finish();                             // at exit: flush, fsync, mode 0744
//
// Rotation happens before a line that would make current exceed the size, and after a
// line that leaves current within 2000 bytes of it; rotate() forces it (SIGALRM). At most
// NUM old files are kept (the oldest `@` files are removed). Write failures after startup
// are retried every second with a warning, so no data is lost; open() returns an Error.
#pragma once

#include "error.hpp"
#include "fd.hpp"
#include "log_script.hpp"

#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace sv {

// "@" + TAI64N label + "." + suffix, e.g. "@400000006553f1c20a1b2c3d.s".
std::string rotated_name(struct timespec when, char suffix);
// The names among `names` to remove so that at most num rotated files ("@" names of
// at least 25 characters) stay; the oldest (smallest) go first.
std::vector<std::string> names_to_remove(std::vector<std::string> names, unsigned num);

class LogDir {
public:
    static mta::Result<LogDir> open(DirectorySettings const& settings);

    LogDir(LogDir&&) = default;
    LogDir& operator=(LogDir&&) = default;

    void append(std::string_view line);
    void flush();
    void rotate(); // when current is not empty
    void finish();
    std::string const& path() const { return m_settings.path; }

private:
    explicit LogDir(DirectorySettings settings)
        : m_settings(std::move(settings))
    {
    }
    mta::Status recover();
    mta::Status open_current();
    void write_out(std::string_view data);
    void finish_current(); // flush, fsync, 0744, close
    void run_processor();
    void remove_old();
    void retry(const char* what, mta::Error error);

    DirectorySettings m_settings;
    mta::Fd m_dir;
    mta::Fd m_lock;
    mta::Fd m_current;
    size_t m_bytes = 0; // in current, including m_buffer
    std::string m_buffer;
};

} // namespace sv
