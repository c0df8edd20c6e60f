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

bool is_setting(char kind)
{
    return kind == 's' || kind == 'n' || kind == '!';
}

// sSIZE, nNUM or !processor: settings for the log directories that follow.
mta::Status parse_setting(std::string const& a, DirectorySettings& next)
{
    std::string_view const rest = std::string_view(a).substr(1);
    unsigned long long n = 0;
    switch (a[0]) {
    case 's':
        if (!parse_number(rest, n))
            return mta::Error::plain("sSIZE needs a decimal number");
        next.size = n < kMinSize ? kMinSize : n > kMaxSize ? kMaxSize : static_cast<size_t>(n);
        return {};
    case 'n':
        if (!parse_number(rest, n))
            return mta::Error::plain("nNUM needs a decimal number");
        next.num = n < kMinNum ? kMinNum : n > 100000 ? 100000 : static_cast<unsigned>(n);
        return {};
    default: // '!'
        next.processor = std::string(rest);
        return {};
    }
}

// -pattern, +pattern, e, =file, ./dir or /dir: an action on each line.
mta::Status add_action(std::string const& a, DirectorySettings const& next, Script& out)
{
    std::string_view const rest = a.empty() ? std::string_view() : std::string_view(a).substr(1);
    switch (a.empty() ? '\0' : a[0]) {
    case '-':
        out.actions.push_back({ ActionKind::deselect, std::string(rest) });
        return {};
    case '+':
        out.actions.push_back({ ActionKind::select, std::string(rest) });
        return {};
    case 'e':
        if (a.size() != 1)
            return mta::Error::plain("unrecognized action (e takes no argument)");
        out.actions.push_back({ ActionKind::alert, "" });
        return {};
    case '=':
        if (rest.empty())
            return mta::Error::plain("=file needs a file name");
        out.actions.push_back({ ActionKind::status, std::string(rest), out.status_files.size() });
        out.status_files.emplace_back(rest);
        return {};
    case '.':
    case '/':
        out.actions.push_back({ ActionKind::directory, a, out.directories.size() });
        out.directories.push_back({ a, next.size, next.num, next.processor });
        return {};
    default:
        return mta::Error::plain("unrecognized action (want t, +, -, e, =, s, n, !, ./ or /)");
    }
}

} // namespace

mta::Result<Script> parse_script(std::vector<std::string> const& args)
{
    Script out;
    DirectorySettings next; // sSIZE, nNUM and !processor so far
    for (size_t i = 0; i < args.size(); ++i) {
        std::string const& a = args[i];
        char const kind = a.empty() ? '\0' : a[0];
        if (kind == 't') {
            if (i != 0 || a.size() != 1)
                return mta::Error::plain("t must be the first action and stand alone");
            out.timestamp = true;
            continue;
        }
        auto const st = is_setting(kind) ? parse_setting(a, next) : add_action(a, next, out);
        if (!st)
            return st.error();
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
