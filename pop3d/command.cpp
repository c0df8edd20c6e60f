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

int base64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
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

std::optional<std::string> decode_base64(std::string_view text)
{
    if (text.size() % 4 != 0)
        return std::nullopt;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (size_t i = 0; i < text.size(); i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; ++k) {
            char c = text[i + size_t(k)];
            if (c == '=' && i + 4 == text.size() && k >= 2) {
                v[k] = 0;
                ++pad;
                continue;
            }
            if (pad > 0)
                return std::nullopt;
            v[k] = base64_value(c);
            if (v[k] < 0)
                return std::nullopt;
        }
        unsigned const n = (unsigned(v[0]) << 18) | (unsigned(v[1]) << 12) | (unsigned(v[2]) << 6)
            | unsigned(v[3]);
        out += static_cast<char>((n >> 16) & 0xff);
        if (pad < 2)
            out += static_cast<char>((n >> 8) & 0xff);
        if (pad < 1)
            out += static_cast<char>(n & 0xff);
    }
    return out;
}

bool is_loopback(std::string_view ip)
{
    if (ip.starts_with("::ffff:"))
        ip.remove_prefix(7);
    return ip.starts_with("127.") || ip == "::1";
}

} // namespace pop3d
