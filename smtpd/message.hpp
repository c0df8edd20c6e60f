// message - turns the bytes of DATA or BDAT into the message as the queue stores it,
// and finds everything that makes the message unacceptable, in constant memory.
//
//     smtpd::MessageFilter filter(smtpd::Framing::dot, databytes);
//     std::string out;
//     while (!filter.ended()) {
//         filter.feed(piece, out);               // any split of the input
//         queue.put(out); out.clear();
//     }
//     if (filter.problem() != smtpd::Problem::none) refuse(...);
//
// Wire form to stored form: CRLF becomes LF; with dot framing (DATA) a leading dot is
// removed and the line "." ends the message; it ends only after CRLF "." CRLF. A bare LF
// or a bare CR anywhere (DATA and BDAT alike) is a problem: the message is refused, so a
// relay that reads line ends differently can never be made to see two messages where we
// see one (SMTP smuggling). Other problems: more than max_bytes stored (0 = no limit), a
// line longer than kMaxLineBytes, kMaxHops or more Received/Delivered-To header lines
// (counted as qmail-smtpd does: header lines starting with "received" or "delivered",
// any case). After the first problem nothing more is written to out, but feed() goes on
// finding the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace smtpd {

inline constexpr std::size_t kMaxLineBytes = 65536;
inline constexpr int kMaxHops = 100;

enum class Framing {
    dot, // DATA: ends at CRLF.CRLF, dot-stuffed
    counted, // BDAT: the chunk sizes frame the message
};

enum class Problem { none, bare_lf, bare_cr, too_big, line_too_long, too_many_hops };

class MessageFilter {
public:
    MessageFilter(Framing framing, std::uint64_t max_bytes);

    // Consumes all of in (with dot framing, up to the end of the message: the number of
    // bytes consumed is returned) and appends the stored form to out.
    std::size_t feed(std::string_view in, std::string& out);
    // Counted framing, after the LAST chunk: a final line without CRLF gets its LF; a CR
    // at the very end is a bare CR.
    void finish(std::string& out);

    bool ended() const { return m_state == State::ended; }
    Problem problem() const { return m_problem; }
    std::uint64_t stored_bytes() const { return m_stored; }
    int hops() const { return m_hops; }

private:
    enum class State { line_start, in_line, after_cr, dot, dot_cr, ended };
    void emit(char c, std::string& out);
    void end_line(std::string& out);
    void set_problem(Problem p);
    void byte_in_line(char c, std::string& out);

    Framing m_framing;
    std::uint64_t m_max;
    State m_state = State::line_start;
    Problem m_problem = Problem::none;
    std::uint64_t m_stored = 0;
    std::size_t m_line = 0; // bytes of the current line so far
    bool m_in_header = true;
    char m_prefix[9] = {}; // the first bytes of a header line, lower case
    int m_hops = 0;
};

} // namespace smtpd
