#include "dot_qmail.hpp"

#include "address.hpp"
#include "fd.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace local {

namespace {

constexpr std::string_view kDefault = "default";

std::string_view strip_trailing_blanks(std::string_view line)
{
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
        line.remove_suffix(1);
    return line;
}

bool ends_with_default(std::string_view s)
{
    return s.size() >= kDefault.size() && s.substr(s.size() - kDefault.size()) == kDefault;
}

// One line (stripped, non-empty, not a comment) to an instruction, or nullopt for a line
// that only changes the state ("+list") or is ignored ('+' lines).
Outcome<std::optional<Instruction>> parse_line(
    std::string_view line, size_t number, bool& forward_only)
{
    if (line.find('\0') != std::string_view::npos)
        return temp_bad_line(number, "NUL byte");
    switch (line[0]) {
    case '.':
    case '/': {
        if (forward_only)
            return temp_forward_only(false);
        Kind const kind = line.back() == '/' ? Kind::maildir : Kind::mbox;
        return std::optional<Instruction>(Instruction { kind, std::string(line), number });
    }
    case '|':
        if (forward_only)
            return temp_forward_only(true);
        return std::optional<Instruction>(
            Instruction { Kind::program, std::string(line.substr(1)), number });
    case '+':
        if (line.substr(1) == "list")
            forward_only = true;
        return std::optional<Instruction>();
    case '&':
        line.remove_prefix(1);
        break;
    default:
        break;
    }
    if (line.empty())
        return temp_bad_line(number, "empty forward address");
    if (line.size() > mta::kMaxAddressBytes)
        return temp_bad_line(number, "forward address too long");
    return std::optional<Instruction>(Instruction { Kind::forward, std::string(line), number });
}

// Opens one candidate. nullopt: absent (or not a regular file).
Outcome<std::optional<DotQmail>> try_open(std::string const& name)
{
    int raw = ::open(name.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (raw == -1) {
        if (mta::is_temporary(errno) || errno == EACCES || errno == EPERM)
            return temp_dot_qmail(name, mta::Error::from_errno("unable to open"));
        return std::optional<DotQmail>();
    }
    mta::Fd fd(raw);
    struct stat st;
    if (::fstat(fd.get(), &st) == -1)
        return temp_dot_qmail(name, mta::Error::from_errno("unable to stat"));
    if (!S_ISREG(st.st_mode))
        return std::optional<DotQmail>();
    if (st.st_mode & S_IWOTH)
        return temp_dot_qmail_writable();
    if (static_cast<size_t>(st.st_size) > kMaxDotQmailBytes)
        return temp_dot_qmail_too_big();
    DotQmail found;
    found.name = name;
    found.forward_only = (st.st_mode & S_IXUSR) != 0;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            return temp_dot_qmail(name, mta::Error::from_errno("unable to read"));
        if (n == 0)
            break;
        found.content.append(buf, static_cast<size_t>(n));
        if (found.content.size() > kMaxDotQmailBytes)
            return temp_dot_qmail_too_big();
    }
    return std::optional<DotQmail>(std::move(found));
}

} // namespace

Outcome<std::vector<Instruction>> parse_dot_qmail(std::string_view content, bool forward_only)
{
    if (content.size() > kMaxDotQmailBytes)
        return temp_dot_qmail_too_big();
    std::vector<Instruction> out;
    size_t number = 0;
    while (!content.empty()) {
        ++number;
        size_t const end = content.find('\n');
        std::string_view line = content.substr(0, end);
        content.remove_prefix(end == std::string_view::npos ? content.size() : end + 1);
        if (line.size() > kMaxLineBytes)
            return temp_bad_line(number, "line too long");
        line = strip_trailing_blanks(line);
        if (line.empty()) {
            if (number == 1)
                return temp_blank_first_line();
            continue;
        }
        if (line[0] == '#')
            continue;
        auto parsed = parse_line(line, number, forward_only);
        if (!parsed)
            return parsed.failure();
        if (!*parsed)
            continue;
        if (out.size() == kMaxInstructions)
            return temp_bad_line(number, "too many delivery instructions");
        out.push_back(std::move(**parsed));
    }
    return out;
}

std::string safe_extension(std::string_view ext)
{
    std::string out(ext);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
        else if (c == '.' || c == '/')
            c = ':';
    }
    return out;
}

std::vector<Candidate> candidate_names(std::string_view dash, std::string_view safeext)
{
    std::vector<Candidate> out;
    std::string const base = ".qmail" + std::string(dash);
    Candidate exact { base + std::string(safeext), std::nullopt };
    if (ends_with_default(safeext))
        exact.default_at = safeext.size() - kDefault.size();
    out.push_back(std::move(exact));
    if (dash.empty())
        return out; // a user's own address: only .qmail
    for (size_t i = safeext.size() + 1; i-- > 0;) {
        if (i != 0 && safeext[i - 1] != '-')
            continue;
        Candidate c { base + std::string(safeext.substr(0, i)) + std::string(kDefault), i };
        if (c.name != out.front().name)
            out.push_back(std::move(c));
    }
    return out;
}

Outcome<std::optional<DotQmail>> find_dot_qmail(std::string_view dash, std::string_view ext)
{
    for (auto const& candidate : candidate_names(dash, safe_extension(ext))) {
        auto found = try_open(candidate.name);
        if (!found)
            return found;
        if (!*found)
            continue;
        if (candidate.default_at && *candidate.default_at <= ext.size())
            (*found)->default_part = std::string(ext.substr(*candidate.default_at));
        return found;
    }
    return std::optional<DotQmail>();
}

} // namespace local
