#include "message.hpp"

namespace smtpd {

MessageFilter::MessageFilter(Framing framing, std::uint64_t max_bytes)
    : m_framing(framing)
    , m_max(max_bytes)
{
}

void MessageFilter::set_problem(Problem p)
{
    if (m_problem == Problem::none)
        m_problem = p;
}

void MessageFilter::emit(char c, std::string& out)
{
    if (m_in_header && m_line < sizeof m_prefix) {
        m_prefix[m_line] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
        if ((m_line == 7 && std::string_view(m_prefix, 8) == "received")
            || (m_line == 8 && std::string_view(m_prefix, 9) == "delivered")) {
            if (++m_hops >= kMaxHops)
                set_problem(Problem::too_many_hops);
        }
    }
    if (++m_line > kMaxLineBytes)
        set_problem(Problem::line_too_long);
    ++m_stored;
    if (m_max != 0 && m_stored > m_max)
        set_problem(Problem::too_big);
    if (m_problem == Problem::none)
        out += c;
}

void MessageFilter::end_line(std::string& out)
{
    if (m_line == 0)
        m_in_header = false;
    ++m_stored;
    if (m_max != 0 && m_stored > m_max)
        set_problem(Problem::too_big);
    if (m_problem == Problem::none)
        out += '\n';
    m_line = 0;
    m_state = State::line_start;
}

void MessageFilter::byte_in_line(char c, std::string& out)
{
    if (c == '\r') {
        m_state = State::after_cr;
    } else if (c == '\n') {
        set_problem(Problem::bare_lf);
        // Not a line end for framing: only CRLF "." CRLF ends the message. For the
        // header and line length it counts as one, so a refused message reads on.
        m_line = 0;
        m_state = State::in_line;
    } else {
        emit(c, out);
        m_state = State::in_line;
    }
}

std::size_t MessageFilter::feed(std::string_view in, std::string& out)
{
    std::size_t i = 0;
    while (i < in.size() && m_state != State::ended) {
        char const c = in[i++];
        switch (m_state) {
        case State::line_start:
            if (c == '.' && m_framing == Framing::dot)
                m_state = State::dot;
            else
                byte_in_line(c, out);
            break;
        case State::dot:
            // ".." and ".x" lose their first dot; ".\r" may be the end.
            if (c == '\r')
                m_state = State::dot_cr;
            else
                byte_in_line(c, out);
            break;
        case State::dot_cr:
            if (c == '\n') {
                m_state = State::ended;
            } else {
                set_problem(Problem::bare_cr);
                byte_in_line(c, out);
            }
            break;
        case State::after_cr:
            if (c == '\n') {
                end_line(out);
            } else {
                set_problem(Problem::bare_cr);
                byte_in_line(c, out);
            }
            break;
        case State::in_line:
            byte_in_line(c, out);
            break;
        case State::ended:
            break;
        }
    }
    return i;
}

void MessageFilter::finish(std::string& out)
{
    if (m_state == State::after_cr)
        set_problem(Problem::bare_cr);
    else if (m_state == State::in_line)
        end_line(out);
    m_state = State::ended;
}

} // namespace smtpd
