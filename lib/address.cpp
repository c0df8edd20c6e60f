#include "address.hpp"

#include "address_syntax.hpp"

#include <algorithm>

namespace mta {

namespace {

static_assert(PathOptions {}.max_domain == syntax::kMaxDomain);

// Length errors (see address_error_is_length; the domain ones are in address_syntax.hpp).
const char kLocalTooLong[] = "local part too long";
const char kPathTooLong[] = "path too long";
const char kAddressTooLong[] = "address too long";

// Syntax errors (the byte and domain ones are in domain.cpp).
const char kNoBrackets[] = "path not in angle brackets";
const char kMissingClose[] = "missing closing angle bracket";
const char kNullPath[] = "null path not allowed";
const char kTrailingGarbage[] = "trailing garbage after address";
const char kBadRoute[] = "bad source route";
const char kEmptyLocal[] = "empty local part";
const char kBadLocalChar[] = "invalid character in local part";
const char kUnterminatedQuote[] = "unterminated quoted string";
const char kBadEscape[] = "bad backslash escape";
const char kDoubleDot[] = "double dot in local part";
const char kEdgeDot[] = "local part starts or ends with a dot";
const char kNoDomain[] = "address has no domain";
const char kUnterminatedComment[] = "unterminated comment";

// Spaces, tabs, folding and (nested) comments.
Status skip_cfws(syntax::Cursor& cur)
{
    while (!cur.at_end()) {
        char c = cur.peek();
        if (syntax::is_wsp(c) || c == '\r' || c == '\n') {
            ++cur.pos;
            continue;
        }
        if (c != '(')
            break;
        for (std::size_t depth = 0;;) {
            if (cur.at_end())
                return Error::plain(kUnterminatedComment);
            c = cur.text[cur.pos++];
            if (c == '\\' && !cur.at_end())
                ++cur.pos;
            else if (c == '(')
                ++depth;
            else if (c == ')' && --depth == 0)
                break;
        }
    }
    return {};
}

// A quoted string at cur, decoded: quotes and backslashes removed, folding unfolded.
Result<std::string> parse_quoted(syntax::Cursor& cur)
{
    std::string out;
    for (++cur.pos;;) {
        if (cur.at_end())
            return Error::plain(kUnterminatedQuote);
        char c = cur.text[cur.pos++];
        if (c == '"')
            return out;
        if (c == '\\') {
            if (cur.at_end())
                return Error::plain(kUnterminatedQuote);
            c = cur.text[cur.pos++];
            if (c == '\r' || c == '\n')
                return Error::plain(kBadEscape);
        }
        if (c != '\r' && c != '\n')
            out += c;
    }
}

Result<std::string> parse_local(syntax::Cursor& cur)
{
    if (cur.peek() == '"') {
        auto quoted = parse_quoted(cur);
        if (quoted && quoted->empty())
            return Error::plain(kEmptyLocal);
        return quoted;
    }
    std::size_t start = cur.pos;
    while (!cur.at_end() && (syntax::is_atext(cur.peek()) || cur.peek() == '.'))
        ++cur.pos;
    std::string_view atoms = cur.text.substr(start, cur.pos - start);
    if (atoms.empty()) {
        char c = cur.peek();
        if (cur.at_end() || c == '@' || c == '>')
            return Error::plain(kEmptyLocal);
        return syntax::unexpected(c, kBadLocalChar);
    }
    if (atoms.front() == '.' || atoms.back() == '.')
        return Error::plain(kEdgeDot);
    if (atoms.find("..") != std::string_view::npos)
        return Error::plain(kDoubleDot);
    return std::string(atoms);
}

// "@a,@b:" before the mailbox (RFC 5321 4.1.2): checked and dropped.
Status skip_source_route(syntax::Cursor& cur)
{
    for (bool first = true;; first = false) {
        ++cur.pos; // the '@'
        auto domain = syntax::parse_domain(cur, ",:>");
        if (!domain)
            return domain.error();
        char c = cur.peek();
        if (c == ':') {
            ++cur.pos;
            return {};
        }
        if (c == '>' && first)
            return Error::plain(kEmptyLocal); // "<@host>"
        if (c != ',' || cur.text.substr(cur.pos + 1, 1) != "@")
            return Error::plain(kBadRoute);
        ++cur.pos;
    }
}

Status check_lengths(
    std::size_t local, std::size_t domain, std::size_t path, PathOptions const& options)
{
    if (path > kMaxAddressBytes)
        return Error::plain(kAddressTooLong);
    if (local > options.max_local)
        return Error::plain(kLocalTooLong);
    if (domain > options.max_domain)
        return Error::plain(syntax::kDomainTooLong);
    if (path > options.max_path)
        return Error::plain(kPathTooLong);
    return {};
}

// local[@domain] up to '>' (bracketed) or to a space or the end; not the null path.
Result<Address> parse_mailbox(syntax::Cursor& cur, bool bracketed, PathOptions const& options)
{
    std::string_view stops = bracketed ? ">" : " ";
    std::size_t start = cur.pos;
    auto local = parse_local(cur);
    if (!local)
        return local.error();
    std::size_t local_length = cur.pos - start;
    Address address { std::move(*local), {} };
    if (cur.peek() == '@') {
        ++cur.pos;
        auto domain = syntax::parse_domain(cur, stops);
        if (!domain)
            return domain.error();
        address.domain = std::move(*domain);
    } else if (!cur.at_end() && stops.find(cur.peek()) == std::string_view::npos) {
        return syntax::unexpected(cur.peek(), kBadLocalChar);
    }
    if (bracketed && cur.at_end())
        return Error::plain(kMissingClose);
    if (options.require_domain && address.domain.empty())
        return Error::plain(kNoDomain);
    Status st = check_lengths(local_length, address.domain.size(), 0, options);
    if (!st)
        return st.error();
    return address;
}

} // namespace

std::string Address::to_string() const
{
    if (is_null())
        return {};
    std::string out = quote_local(local);
    if (!domain.empty())
        out += '@' + domain;
    return out;
}

Result<PathWithParams> parse_path_with_params(std::string_view text, PathOptions const& options)
{
    if (Status st = syntax::check_bytes(text, options.allow_utf8, false); !st)
        return st.error();
    syntax::Cursor cur { text };
    while (cur.peek() == ' ')
        ++cur.pos;
    std::size_t start = cur.pos;
    bool bracketed = cur.peek() == '<';
    if (!bracketed && (!options.allow_missing_brackets || cur.at_end()))
        return Error::plain(kNoBrackets);
    PathWithParams out;
    if (bracketed && text.substr(start, 2) == "<>") {
        if (!options.allow_null)
            return Error::plain(kNullPath);
        cur.pos += 2;
    } else {
        cur.pos += bracketed ? 1 : 0;
        if (cur.peek() == '@') {
            if (Status st = skip_source_route(cur); !st)
                return st.error();
        }
        auto address = parse_mailbox(cur, bracketed, options);
        if (!address)
            return address.error();
        out.address = std::move(*address);
        cur.pos += bracketed ? 1 : 0; // the closing bracket
    }
    std::size_t path_length = cur.pos - start + (bracketed ? 0 : 2);
    if (Status st = check_lengths(0, 0, path_length, options); !st)
        return st.error();
    out.params = text.substr(cur.pos);
    if (!out.params.empty() && out.params[0] != ' ')
        return Error::plain(kTrailingGarbage);
    while (!out.params.empty() && out.params[0] == ' ')
        out.params.remove_prefix(1);
    return out;
}

Result<Address> parse_path(std::string_view text, PathOptions const& options)
{
    if (text.size() > kMaxAddressBytes)
        return Error::plain(kAddressTooLong);
    auto parsed = parse_path_with_params(text, options);
    if (!parsed)
        return parsed.error();
    if (!parsed->params.empty())
        return Error::plain(kTrailingGarbage);
    return std::move(parsed->address);
}

Result<Address> parse_addr_spec(std::string_view text, PathOptions const& options)
{
    if (text.size() > kMaxAddressBytes)
        return Error::plain(kAddressTooLong);
    if (Status st = syntax::check_bytes(text, options.allow_utf8, true); !st)
        return st.error();
    syntax::Cursor cur { text };
    if (Status st = skip_cfws(cur); !st)
        return st.error();
    std::size_t start = cur.pos;
    auto local = parse_local(cur);
    if (!local)
        return local.error();
    std::size_t local_length = cur.pos - start;
    Address address { std::move(*local), {} };
    if (Status st = skip_cfws(cur); !st)
        return st.error();
    if (cur.peek() == '@') {
        ++cur.pos;
        if (Status st = skip_cfws(cur); !st)
            return st.error();
        auto domain = syntax::parse_domain(cur, " \t\r\n(");
        if (!domain)
            return domain.error();
        address.domain = std::move(*domain);
        if (Status st = skip_cfws(cur); !st)
            return st.error();
    } else if (cur.at_end() && options.require_domain) {
        return Error::plain(kNoDomain);
    }
    if (!cur.at_end())
        return syntax::unexpected(
            cur.peek(), address.domain.empty() ? kBadLocalChar : kTrailingGarbage);
    if (Status st = check_lengths(local_length, address.domain.size(), 0, options); !st)
        return st.error();
    return address;
}

bool address_error_is_length(Error error)
{
    if (error.what == nullptr)
        return false;
    std::string_view what = error.what;
    for (std::string_view length : { kLocalTooLong, syntax::kDomainTooLong, syntax::kLabelTooLong,
             kPathTooLong, kAddressTooLong })
        if (what == length)
            return true;
    return false;
}

bool is_dot_atom(std::string_view text)
{
    if (text.empty() || text.front() == '.' || text.back() == '.'
        || text.find("..") != std::string_view::npos)
        return false;
    return std::all_of(
        text.begin(), text.end(), [](char c) { return c == '.' || syntax::is_atext(c); });
}

std::string quote_local(std::string_view local)
{
    if (is_dot_atom(local))
        return std::string(local);
    std::string out = "\"";
    for (char c : local) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    out += '"';
    return out;
}

std::pair<std::string_view, std::string_view> split_at_last_at(std::string_view address)
{
    std::size_t at = address.rfind('@');
    if (at == std::string_view::npos)
        return { address, {} };
    return { address.substr(0, at), address.substr(at + 1) };
}

} // namespace mta
