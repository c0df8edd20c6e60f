#include "command.hpp"

#include "number.hpp"

#include <array>

namespace pop3d {

namespace {

struct Name {
    const char* text;
    Verb verb;
};

constexpr std::array<Name, 15> kVerbs { {
    { "USER", Verb::user },
    { "PASS", Verb::pass },
    { "APOP", Verb::apop },
    { "AUTH", Verb::auth },
    { "CAPA", Verb::capa },
    { "STLS", Verb::stls },
    { "QUIT", Verb::quit },
    { "NOOP", Verb::noop },
    { "STAT", Verb::stat },
    { "LIST", Verb::list },
    { "RETR", Verb::retr },
    { "DELE", Verb::dele },
    { "RSET", Verb::rset },
    { "TOP", Verb::top },
    { "UIDL", Verb::uidl },
} };

bool same_upper(std::string_view word, const char* name)
{
    size_t i = 0;
    for (; name[i]; ++i) {
        if (i >= word.size())
            return false;
        char c = word[i];
        if (c >= 'a' && c <= 'z')
            c = static_cast<char>(c - 'a' + 'A');
        if (c != name[i])
            return false;
    }
    return i == word.size();
}

} // namespace

Command parse_command(std::string_view line)
{
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    Command c;
    if (line.empty())
        return c;
    size_t const space = line.find(' ');
    std::string_view const word = line.substr(0, space);
    if (space != std::string_view::npos) {
        c.has_arg = true;
        c.arg = std::string(line.substr(space + 1));
    }
    c.verb = Verb::unknown;
    for (auto const& n : kVerbs)
        if (same_upper(word, n.text))
            c.verb = n.verb;
    return c;
}

std::optional<unsigned long> parse_number(std::string_view text)
{
    if (text.size() > 9)
        return std::nullopt;
    return mta::parse_decimal<unsigned long>(text);
}

std::vector<std::string_view> split_args(std::string_view arg)
{
    std::vector<std::string_view> out;
    size_t pos = 0;
    for (;;) {
        size_t sp = arg.find(' ', pos);
        out.push_back(arg.substr(pos, sp == std::string_view::npos ? sp : sp - pos));
        if (sp == std::string_view::npos)
            return out;
        pos = sp + 1;
    }
}

} // namespace pop3d
