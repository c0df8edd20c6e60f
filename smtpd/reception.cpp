#include "reception.hpp"

#include <array>

namespace smtpd {

namespace {

// A reply text from elsewhere (the queue's fd 6): printable ASCII only, bounded.
std::string printable(std::string_view text)
{
    std::string out;
    for (char c : text.substr(0, 400))
        out += c >= ' ' && c <= '~' ? c : '?';
    return out;
}

// "x.y.z" from the first "(#x.y.z)" in text whose class digit is want, else "".
std::string enhanced_code_in(std::string_view text, char want)
{
    for (auto at = text.find("(#"); at != std::string_view::npos; at = text.find("(#", at + 2)) {
        auto const end = text.find(')', at);
        if (end == std::string_view::npos)
            return "";
        std::string_view const code = text.substr(at + 2, end - at - 2);
        bool ok = code.size() >= 5 && code.size() <= 9 && code[0] == want && code[1] == '.'
            && code.find_first_not_of("0123456789.") == std::string_view::npos;
        if (ok)
            return std::string(code);
    }
    return "";
}

mta::Error input_ended()
{
    return mta::Error::plain("the client left in the middle of the message");
}

} // namespace

mta::Status Reception::read_data(mta::QueueClient& queue, MessageFilter& filter)
{
    while (!filter.ended()) {
        auto got = m_in.get_line(m_line, mta::kBufferSize);
        if (!got)
            return got.error();
        if (*got == mta::LineStatus::eof || *got == mta::LineStatus::partial)
            return input_ended();
        m_stored.clear();
        filter.feed(m_line, m_stored);
        if (*got == mta::LineStatus::line)
            filter.feed("\n", m_stored);
        if (!m_stored.empty())
            queue.put(m_stored);
    }
    return {};
}

mta::Status Reception::read_chunk(
    std::uint64_t size, mta::QueueClient* queue, MessageFilter* filter)
{
    std::array<char, mta::kBufferSize> buf;
    while (size > 0) {
        std::size_t const want = size < buf.size() ? static_cast<std::size_t>(size) : buf.size();
        auto got = m_in.read(buf.data(), want);
        if (!got)
            return got.error();
        if (*got == 0)
            return input_ended();
        size -= *got;
        if (!filter)
            continue;
        m_stored.clear();
        filter->feed(std::string_view(buf.data(), *got), m_stored);
        if (!m_stored.empty())
            queue->put(m_stored);
    }
    return {};
}

void Reception::finish_chunks(mta::QueueClient& queue, MessageFilter& filter)
{
    m_stored.clear();
    filter.finish(m_stored);
    if (!m_stored.empty())
        queue.put(m_stored);
}

std::string problem_reply(Problem problem)
{
    switch (problem) {
    case Problem::bare_lf:
        return "550 5.6.0 message refused: bare LF in the message (line ends must be CRLF)";
    case Problem::bare_cr:
        return "550 5.6.0 message refused: bare CR in the message (line ends must be CRLF)";
    case Problem::too_big:
        return "552 5.3.4 sorry, that message size exceeds my databytes limit";
    case Problem::line_too_long:
        return "550 5.6.0 message refused: a line longer than " + std::to_string(kMaxLineBytes)
            + " bytes";
    case Problem::too_many_hops:
        return "554 5.4.6 too many hops, this message is looping";
    case Problem::none:
        break;
    }
    return "";
}

std::string queue_failure_reply(std::string_view text)
{
    bool const permanent = !text.empty() && text[0] == 'D';
    std::string_view const body = text.empty() ? "qq failure" : text.substr(1);
    std::string code = enhanced_code_in(body, permanent ? '5' : '4');
    if (code.empty())
        code = permanent ? "5.3.0" : "4.3.0";
    return std::string(permanent ? "554 " : "451 ") + code + " " + printable(body);
}

} // namespace smtpd
