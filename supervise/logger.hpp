// logger - multilog's main loop: reads lines from fd 0 and carries out the script's
// actions on each (log_script.hpp), writing log directories through log_dir.hpp.
//
//     sv::Logger logger(std::move(script));
//     logger.open_or_die();             // lock and recover every directory, open =files
//     return logger.run();              // until end of input or SIGTERM
//
// No line is lost when multilog is killed: when fd 0 is a pipe, input is looked at with
// tee(2) and taken out of the pipe only after its lines are in every log directory's
// current (a SIGKILL in between means those lines are written again by the next
// multilog, never dropped). A partial line at end of input gets a newline. SIGALRM
// rotates every directory whose current is not empty; SIGTERM ends at the next line
// boundary, leaving later input in the pipe. A line longer than kMaxLineBytes is cut
// into pieces of that size.
#pragma once

#include "fd.hpp"
#include "log_dir.hpp"
#include "log_script.hpp"

#include <csignal>
#include <string>
#include <string_view>
#include <vector>

namespace sv {

inline constexpr size_t kMaxLineBytes = 65536;

class Logger {
public:
    explicit Logger(Script script)
        : m_script(std::move(script))
    {
    }

    void open_or_die();
    int run();

private:
    void take_lines(std::string const& chunk, bool teed);
    void process(std::string_view chunk); // whole lines, each ending in '\n'
    void line(std::string_view text);
    void flush_all();
    bool peek(std::string& out); // false at end of input
    void consume(size_t bytes);

    Script m_script;
    std::vector<LogDir> m_dirs;
    std::vector<mta::Fd> m_status_files;
    mta::Pipe m_tee; // private pipe that tee(2) copies fd 0 into
    bool m_use_tee = true;
    std::string m_partial; // start of a line, already taken from fd 0
    std::string m_text; // scratch: the current line with its label
    sigset_t m_wait_mask {};
};

} // namespace sv
