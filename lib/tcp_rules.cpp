#include "tcp_rules.hpp"

#include "tcp_rule_keys.hpp"

namespace mta::tcp_rules {

namespace {

bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool is_punctuation(unsigned char c)
{
    return c > ' ' && c < 0x7f && !is_digit(char(c)) && !((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
        && c != '_';
}

bool is_control(unsigned char c)
{
    return (c < ' ' && c != '\t') || c == 0x7f;
}

// "allow" or "deny" then ",NAME=VALUE"...: appends the cdb value to data.
char const* parse_instructions(std::string_view x, std::string& data)
{
    if (x.substr(0, 4) == "deny") {
        data.append("D", 2);
        x.remove_prefix(4);
    } else {
        x.remove_prefix(5); // "allow": the caller found one of the two
    }
    for (size_t count = 0; !x.empty(); ++count) {
        if (x[0] != ',')
            return "want \",NAME=VALUE\" after allow, deny or a value";
        if (count == kMaxVariables)
            return "too many variables in one rule";
        auto eq = x.find('=');
        if (eq == std::string_view::npos)
            return "missing \"=\" after a variable name";
        auto name = x.substr(1, eq - 1);
        if (!valid_name(name))
            return "a variable name is letters, digits and _, not starting with a digit or LD_";
        x.remove_prefix(eq + 1);
        std::string_view value;
        if (!x.empty() && is_punctuation(static_cast<unsigned char>(x[0])) && x[0] != ',') {
            auto close = x.find(x[0], 1);
            if (close == std::string_view::npos)
                return "missing closing quote";
            value = x.substr(1, close - 1);
            x.remove_prefix(close + 1);
            if (!x.empty() && x[0] != ',')
                return "text after a closing quote (want \",\" or the end of the line)";
        } else {
            value = x.substr(0, x.find(','));
            x.remove_prefix(value.size());
        }
        for (unsigned char c : value)
            if (is_control(c))
                return "control character in a value";
        data += "+";
        data += name;
        data += "=";
        data += value;
        data.push_back('\0');
    }
    return nullptr;
}

// The ':' that separates the address from the instructions: the first one followed by
// "allow" or "deny" and then ',' or the end (IPv6 addresses hold colons of their own).
size_t find_split(std::string_view line)
{
    for (size_t at = line.find(':'); at != std::string_view::npos; at = line.find(':', at + 1)) {
        auto rest = line.substr(at + 1);
        for (std::string_view word : { "allow", "deny" })
            if (rest.substr(0, word.size()) == word
                && (rest.size() == word.size() || rest[word.size()] == ','))
                return at;
    }
    return std::string_view::npos;
}

char const* parse_line(std::string_view line, size_t number, std::vector<Entry>& out)
{
    if (line.find('\0') != std::string_view::npos)
        return "NUL byte in line";
    auto split = find_split(line);
    if (split == std::string_view::npos)
        return line.find(':') == std::string_view::npos
            ? "missing \":\" between the address and allow or deny"
            : "the instructions after \":\" must start with allow or deny";
    std::string data;
    if (auto problem = parse_instructions(line.substr(split + 1), data))
        return problem;
    auto keys = address_keys(line.substr(0, split));
    if (keys.problem)
        return keys.problem;
    for (auto& key : keys.keys)
        out.push_back(Entry { std::move(key), data, number });
    return nullptr;
}

constexpr std::string_view kBlanks = " \t\r";

} // namespace

bool valid_name(std::string_view name)
{
    if (name.empty() || name.size() > kMaxNameBytes || is_digit(name[0]))
        return false;
    if (name.substr(0, 3) == "LD_")
        return false;
    for (char c : name)
        if (!(is_digit(c) || c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
            return false;
    return true;
}

Parsed parse(std::string_view text)
{
    Parsed parsed;
    size_t number = 0;
    while (!text.empty()) {
        auto nl = text.find('\n');
        auto line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        ++number;
        if (line.size() > kMaxLineBytes) {
            parsed.line = number;
            parsed.problem = "line too long (the limit is 8192 bytes)";
            return parsed;
        }
        auto first = line.find_first_not_of(kBlanks);
        if (first == std::string_view::npos || line[first] == '#')
            continue;
        line = line.substr(first, line.find_last_not_of(kBlanks) - first + 1);
        if (auto problem = parse_line(line, number, parsed.entries)) {
            parsed.line = number;
            parsed.problem = problem;
            return parsed;
        }
    }
    return parsed;
}

Status write_cdb(std::string const& path, std::vector<Entry> const& entries)
{
    auto w = CdbWriter::create(path, 0644);
    if (!w)
        return w.error();
    for (auto const& e : entries)
        if (auto st = w->add(e.key, e.data); !st)
            return st;
    return w->commit();
}

std::vector<std::string> lookup_keys(Client const& c)
{
    std::vector<std::string> keys;
    if (c.info) {
        keys.push_back(*c.info + "@" + c.ip);
        if (c.host)
            keys.push_back(*c.info + "@=" + *c.host);
    }
    keys.push_back(c.ip);
    if (c.host)
        keys.push_back("=" + *c.host);
    append_network_keys(c.ip, keys);
    if (c.host) {
        for (size_t dot = c.host->find('.'); dot != std::string::npos;
             dot = c.host->find('.', dot + 1))
            keys.push_back("=" + c.host->substr(dot));
        keys.push_back("=");
    }
    keys.push_back("");
    return keys;
}

Result<Rule> decode(std::string_view key, std::string_view data)
{
    if (data.size() > kMaxValueBytes)
        return Error::plain("rules value too big");
    Rule rule;
    rule.key = key;
    while (!data.empty()) {
        auto end = data.find('\0');
        auto item = data.substr(0, end);
        data.remove_prefix(end == std::string_view::npos ? data.size() : end + 1);
        if (item == "D") {
            rule.deny = true;
            continue;
        }
        auto eq = item.find('=');
        bool valid = !item.empty() && item[0] == '+' && eq != std::string_view::npos
            && valid_name(item.substr(1, eq - 1)) && rule.env.size() < kMaxVariables;
        if (!valid) {
            ++rule.skipped;
            continue;
        }
        rule.env.emplace_back(item.substr(1, eq - 1), item.substr(eq + 1));
    }
    return rule;
}

Result<std::optional<Rule>> lookup(Cdb& db, Client const& client)
{
    for (auto const& key : lookup_keys(client)) {
        auto found = db.find(key);
        if (!found)
            return found.error();
        if (!*found)
            continue;
        auto rule = decode(key, **found);
        if (!rule)
            return rule.error();
        return std::optional<Rule>(std::move(*rule));
    }
    return std::optional<Rule> {};
}

} // namespace mta::tcp_rules
