#include "log_script.hpp"

#include "number.hpp"

namespace sv {

namespace {

bool parse_number(std::string_view text, unsigned long long& out)
{
    auto value = mta::parse_decimal<unsigned long long>(text);
    if (value)
        out = *value;
    return value.has_value();
}

} // namespace

mta::Result<Script> parse_script(std::vector<std::string> const& args)
{
    Script out;
    size_t size = kDefaultSize;
    unsigned num = kDefaultNum;
    std::string processor;
    for (size_t i = 0; i < args.size(); ++i) {
        std::string const& a = args[i];
        std::string_view const rest
            = a.empty() ? std::string_view() : std::string_view(a).substr(1);
        unsigned long long n = 0;
        switch (a.empty() ? '\0' : a[0]) {
        case 't':
            if (i != 0 || a.size() != 1)
                return mta::Error::plain("t must be the first action and stand alone");
            out.timestamp = true;
            break;
        case '-':
            out.actions.push_back({ ActionKind::deselect, std::string(rest) });
            break;
        case '+':
            out.actions.push_back({ ActionKind::select, std::string(rest) });
            break;
        case 'e':
            if (a.size() != 1)
                return mta::Error::plain("unrecognized action (e takes no argument)");
            out.actions.push_back({ ActionKind::alert, "" });
            break;
        case '=':
            if (rest.empty())
                return mta::Error::plain("=file needs a file name");
            out.actions.push_back(
                { ActionKind::status, std::string(rest), out.status_files.size() });
            out.status_files.emplace_back(rest);
            break;
        case 's':
            if (!parse_number(rest, n))
                return mta::Error::plain("sSIZE needs a decimal number");
            size = n < kMinSize ? kMinSize : n > kMaxSize ? kMaxSize : static_cast<size_t>(n);
            break;
        case 'n':
            if (!parse_number(rest, n))
                return mta::Error::plain("nNUM needs a decimal number");
            num = n < kMinNum ? kMinNum : n > 100000 ? 100000 : static_cast<unsigned>(n);
            break;
        case '!':
            processor = std::string(rest);
            break;
        case '.':
        case '/':
            out.actions.push_back({ ActionKind::directory, a, out.directories.size() });
            out.directories.push_back({ a, size, num, processor });
            break;
        default:
            return mta::Error::plain("unrecognized action (want t, +, -, e, =, s, n, !, ./ or /)");
        }
    }
    return out;
}

bool pattern_match(std::string_view pattern, std::string_view line)
{
    size_t p = 0;
    size_t l = 0;
    for (;;) {
        if (p == pattern.size())
            return l == line.size();
        char c = pattern[p++];
        if (c == '*') {
            if (p == pattern.size())
                return true;
            char const next = pattern[p];
            while (l < line.size() && line[l] != next)
                ++l;
            if (l == line.size())
                return false;
            continue;
        }
        if (l == line.size() || line[l] != c)
            return false;
        ++l;
    }
}

} // namespace sv
