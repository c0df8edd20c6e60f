#include "assign.hpp"

#include <charconv>
#include <unordered_map>

namespace mta::assign {

namespace {

constexpr int kFields = 7; // local, user, uid, gid, homedir, dash, ext/pre
// uid_t(-1) and gid_t(-1) mean "unchanged" to setresuid/setresgid: never an id.
constexpr unsigned long long kMaxId = 4294967294ULL;

char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Splits off the line at the front of rest (without its LF and a CR before it) and
// advances rest past it.
std::string_view next_line(std::string_view& rest)
{
    auto lf = rest.find('\n');
    std::string_view line = rest.substr(0, lf);
    rest.remove_prefix(lf == std::string_view::npos ? rest.size() : lf + 1);
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    return line;
}

bool is_blank(std::string_view line)
{
    return line.find_first_not_of(" \t\r\v\f") == std::string_view::npos;
}

// A decimal id: digits only, at most kMaxId.
std::optional<unsigned long long> parse_id(std::string_view s)
{
    if (s.empty() || s.find_first_not_of("0123456789") != std::string_view::npos)
        return std::nullopt;
    unsigned long long value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size())
        return kMaxId + 1; // too many digits for 64 bits: out of range
    return value;
}

// Splits "f1:f2:...:f7:" into its seven fields, or names what is wrong.
char const* split_fields(std::string_view body, bool wildcard, std::string_view (&field)[kFields])
{
    for (int i = 0; i < kFields; ++i) {
        auto colon = body.find(':');
        if (colon == std::string_view::npos) {
            if (i == kFields - 1)
                return "missing the final \":\"";
            return wildcard ? "missing fields: want +prefix:user:uid:gid:homedir:dash:pre:"
                            : "missing fields: want =local:user:uid:gid:homedir:dash:ext:";
        }
        field[i] = body.substr(0, colon);
        body.remove_prefix(colon + 1);
    }
    if (body.find(':') != std::string_view::npos)
        return "too many fields (a field cannot hold \":\")";
    if (!body.empty())
        return "text after the final \":\"";
    return nullptr;
}

char const* check_fields(std::string_view (&field)[kFields], bool wildcard, Delivery* out)
{
    if (!wildcard && field[0].empty())
        return "empty address after \"=\"";
    if (field[1].empty())
        return "empty user name";
    auto uid = parse_id(field[2]);
    if (!uid)
        return "uid is not a decimal number";
    if (*uid > kMaxId)
        return "uid out of range";
    if (*uid == 0)
        return "uid 0 is not allowed (lspawn never delivers as root)";
    auto gid = parse_id(field[3]);
    if (!gid)
        return "gid is not a decimal number";
    if (*gid > kMaxId)
        return "gid out of range";
    if (field[4].empty() || field[4].front() != '/')
        return "home directory is not an absolute path";
    if (!field[5].empty() && field[5] != "-")
        return "dash is neither empty nor \"-\"";
    *out = Delivery { std::string(field[1]), static_cast<uid_t>(*uid), static_cast<gid_t>(*gid),
        std::string(field[4]), std::string(field[5]), std::string(field[6]) };
    return nullptr;
}

// One entry line; nullptr when it is good.
char const* parse_entry(std::string_view line, Entry* entry)
{
    if (line.size() > kMaxLineBytes)
        return "line too long (the limit is 8192 bytes)";
    if (line.find('\0') != std::string_view::npos)
        return "NUL byte in line";
    if (line.empty())
        return "empty line (users/assign has no blank lines; it ends with a \".\" line)";
    if (line.front() == '#')
        return "comment line (users/assign has no comments)";
    if (line.front() == '.')
        return "the end line must be a single \".\"";
    if (line.front() != '=' && line.front() != '+')
        return "line starts with neither \"=\" (an address) nor \"+\" (a prefix)";
    entry->wildcard = line.front() == '+';
    std::string_view field[kFields];
    if (auto problem = split_fields(line.substr(1), entry->wildcard, field))
        return problem;
    entry->local = std::string(field[0]);
    return check_fields(field, entry->wildcard, &entry->delivery);
}

Parsed fail(Parsed parsed, size_t line, char const* problem)
{
    parsed.line = line;
    parsed.problem = problem;
    return parsed;
}

} // namespace

Parsed parse(std::string_view text)
{
    Parsed parsed;
    size_t number = 0;
    while (!text.empty()) {
        std::string_view line = next_line(text);
        ++number;
        if (line == ".") {
            // Only blank lines may follow: qmail-newu would ignore an entry there.
            while (!text.empty()) {
                line = next_line(text);
                ++number;
                if (!is_blank(line))
                    return fail(std::move(parsed), number,
                        "text after the final \".\" line (it would be ignored)");
            }
            return parsed;
        }
        Entry entry;
        entry.line = number;
        if (auto problem = parse_entry(line, &entry))
            return fail(std::move(parsed), number, problem);
        parsed.entries.push_back(std::move(entry));
    }
    return fail(std::move(parsed), number + 1, "missing the final \".\" line");
}

std::string lowercase(std::string_view s)
{
    std::string out(s);
    for (char& c : out)
        c = lower(c);
    return out;
}

std::vector<std::pair<size_t, size_t>> shadowed(std::vector<Entry> const& entries)
{
    std::vector<std::pair<size_t, size_t>> out;
    std::unordered_map<std::string, size_t> first;
    for (auto const& entry : entries) {
        auto [it, inserted] = first.emplace(cdb_key(entry), entry.line);
        if (!inserted)
            out.emplace_back(it->second, entry.line);
    }
    return out;
}

std::string cdb_key(Entry const& entry)
{
    std::string key = "!" + lowercase(entry.local);
    if (!entry.wildcard)
        key.push_back('\0');
    return key;
}

std::string cdb_value(Entry const& entry)
{
    Delivery const& d = entry.delivery;
    std::string value = d.user;
    for (auto const& field :
        { std::to_string(d.uid), std::to_string(d.gid), d.home, d.dash, d.ext }) {
        value.push_back('\0');
        value += field;
    }
    return value;
}

std::string wildchars(std::vector<Entry> const& entries)
{
    std::string chars;
    for (auto const& entry : entries) {
        if (!entry.wildcard || entry.local.empty())
            continue;
        char last = lower(entry.local.back());
        if (chars.find(last) == std::string::npos)
            chars.push_back(last);
    }
    return chars;
}

std::vector<std::pair<std::string, std::string>> cdb_records(std::vector<Entry> const& entries)
{
    std::vector<std::pair<std::string, std::string>> records;
    records.reserve(entries.size() + 1);
    for (auto const& entry : entries)
        records.emplace_back(cdb_key(entry), cdb_value(entry));
    records.emplace_back("", wildchars(entries));
    return records;
}

Status write_cdb(std::string const& path, std::vector<Entry> const& entries)
{
    auto writer = CdbWriter::create(path);
    if (!writer)
        return writer.error();
    for (auto const& entry : entries)
        if (auto st = writer->add(cdb_key(entry), cdb_value(entry)); !st)
            return st;
    if (auto st = writer->add("", wildchars(entries)); !st)
        return st;
    return writer->commit();
}

Result<Delivery> decode(std::string_view value)
{
    std::string_view field[6];
    for (int i = 0; i < 6; ++i) {
        auto nul = value.find('\0');
        if ((nul == std::string_view::npos) != (i == 5))
            return Error::plain("malformed users/cdb record");
        field[i] = value.substr(0, nul);
        value.remove_prefix(i == 5 ? value.size() : nul + 1);
    }
    auto uid = parse_id(field[1]);
    auto gid = parse_id(field[2]);
    if (!uid || !gid || *uid > kMaxId || *gid > kMaxId)
        return Error::plain("malformed users/cdb record");
    return Delivery { std::string(field[0]), static_cast<uid_t>(*uid), static_cast<gid_t>(*gid),
        std::string(field[3]), std::string(field[4]), std::string(field[5]) };
}

Result<std::optional<Delivery>> lookup(Cdb& users, std::string_view local)
{
    using Found = std::optional<Delivery>;
    auto wild = users.find("");
    if (!wild)
        return wild.error();
    if (!*wild)
        return Error::plain("users/cdb has no wildcard record");
    std::string key = "!" + lowercase(local);
    key.push_back('\0');
    auto exact = users.find(key);
    if (!exact)
        return exact.error();
    if (*exact) {
        auto delivery = decode(**exact);
        if (!delivery)
            return delivery.error();
        return Found(std::move(*delivery));
    }
    key.pop_back();
    // key[1..i] is the prefix of length i; "" (i == 0) is always tried.
    for (size_t i = local.size() + 1; i-- > 0;) {
        if (i > 0 && (*wild)->find(key[i]) == std::string::npos)
            continue;
        auto hit = users.find(std::string_view(key).substr(0, i + 1));
        if (!hit)
            return hit.error();
        if (!*hit)
            continue;
        auto delivery = decode(**hit);
        if (!delivery)
            return delivery.error();
        delivery->ext += local.substr(i);
        return Found(std::move(*delivery));
    }
    return Found();
}

} // namespace mta::assign
