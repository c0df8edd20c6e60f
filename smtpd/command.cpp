#include "command.hpp"

#include <array>
#include <utility>

namespace smtpd {

namespace {

char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

bool istarts_with(std::string_view text, std::string_view prefix)
{
    return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

std::string_view trim_spaces(std::string_view text)
{
    while (!text.empty() && text.front() == ' ')
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\r'))
        text.remove_suffix(1);
    return text;
}

ArgError arg_error(std::string reply)
{
    return ArgError { std::move(reply) };
}

// The text after "FROM:" or "TO:", or nullopt when the keyword is missing.
std::optional<std::string_view> after_keyword(std::string_view argument, std::string_view keyword)
{
    if (!istarts_with(argument, keyword))
        return std::nullopt;
    return argument.substr(keyword.size());
}

mta::PathOptions path_options(bool allow_null, bool utf8)
{
    mta::PathOptions options;
    options.allow_null = allow_null;
    options.allow_missing_brackets = true;
    options.require_domain = false;
    options.allow_utf8 = utf8;
    return options;
}

bool is_eight_bit_error(mta::Error error)
{
    return std::string_view(error.what) == "8-bit character in address";
}

// A path that failed to parse: the reply for MAIL (5.1.7) or RCPT (5.1.3).
ArgError path_error(mta::Error error, bool sender)
{
    if (is_eight_bit_error(error))
        return arg_error("553 5.6.7 non-ASCII address needs the SMTPUTF8 parameter");
    return arg_error(
        std::string(sender ? "501 5.1.7 bad sender address: " : "501 5.1.3 bad recipient address: ")
        + error.what);
}

// One ESMTP parameter of MAIL: KEYWORD or KEYWORD=VALUE.
std::optional<ArgError> apply_mail_param(std::string_view param, MailArgs& mail)
{
    auto const eq = param.find('=');
    std::string_view const key = param.substr(0, eq);
    std::string_view const value = eq == std::string_view::npos ? "" : param.substr(eq + 1);
    if (iequals(key, "SIZE")) {
        auto size = parse_size(value);
        if (!size)
            return arg_error("501 5.5.4 bad SIZE value");
        mail.size = *size;
    } else if (iequals(key, "BODY")) {
        if (iequals(value, "8BITMIME"))
            mail.body_8bit = true;
        else if (!iequals(value, "7BIT"))
            return arg_error("501 5.5.4 bad BODY value (7BIT or 8BITMIME)");
    } else if (iequals(key, "SMTPUTF8") && eq == std::string_view::npos) {
        mail.smtputf8 = true;
    } else if (iequals(key, "AUTH") && eq != std::string_view::npos) {
        // RFC 4954 section 5: accepted, and ignored (we do not trust other servers).
    } else {
        return arg_error("555 5.5.4 unsupported parameter");
    }
    return std::nullopt;
}

std::optional<ArgError> apply_mail_params(std::string_view params, MailArgs& mail)
{
    while (!params.empty()) {
        auto const space = params.find(' ');
        std::string_view const param = params.substr(0, space);
        if (!param.empty())
            if (auto bad = apply_mail_param(param, mail))
                return bad;
        if (space == std::string_view::npos)
            break;
        params.remove_prefix(space + 1);
    }
    return std::nullopt;
}

} // namespace

Command parse_command(std::string_view line)
{
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    auto const space = line.find(' ');
    std::string_view const verb = line.substr(0, space);
    Command cmd;
    cmd.argument = space == std::string_view::npos ? "" : trim_spaces(line.substr(space + 1));
    static constexpr std::array<std::pair<std::string_view, Verb>, 13> kVerbs { {
        { "HELO", Verb::helo },
        { "EHLO", Verb::ehlo },
        { "MAIL", Verb::mail },
        { "RCPT", Verb::rcpt },
        { "DATA", Verb::data },
        { "BDAT", Verb::bdat },
        { "RSET", Verb::rset },
        { "NOOP", Verb::noop },
        { "VRFY", Verb::vrfy },
        { "HELP", Verb::help },
        { "QUIT", Verb::quit },
        { "STARTTLS", Verb::starttls },
        { "AUTH", Verb::auth },
    } };
    for (auto const& [name, v] : kVerbs)
        if (iequals(verb, name)) {
            cmd.verb = v;
            break;
        }
    return cmd;
}

std::optional<std::uint64_t> parse_size(std::string_view text)
{
    if (text.empty() || text.size() > 18)
        return std::nullopt;
    std::uint64_t n = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return n;
}

Parsed<MailArgs> parse_mail(std::string_view argument)
{
    auto path = after_keyword(argument, "FROM:");
    if (!path)
        return arg_error("501 5.5.4 syntax: MAIL FROM:<address>");
    // UTF-8 is allowed in the address only with SMTPUTF8, which follows it: parse with
    // UTF-8 allowed to find the parameters, then again without when SMTPUTF8 is absent.
    auto parsed = mta::parse_path_with_params(*path, path_options(true, true));
    if (!parsed)
        return path_error(parsed.error(), true);
    MailArgs mail;
    if (auto bad = apply_mail_params(parsed->params, mail))
        return *bad;
    if (!mail.smtputf8) {
        auto ascii = mta::parse_path_with_params(*path, path_options(true, false));
        if (!ascii)
            return path_error(ascii.error(), true);
    }
    mail.sender = std::move(parsed->address);
    return mail;
}

Parsed<RcptArgs> parse_rcpt(std::string_view argument, bool utf8)
{
    auto path = after_keyword(argument, "TO:");
    if (!path)
        return arg_error("501 5.5.4 syntax: RCPT TO:<address>");
    auto parsed = mta::parse_path_with_params(*path, path_options(false, utf8));
    if (!parsed)
        return path_error(parsed.error(), false);
    if (!trim_spaces(parsed->params).empty())
        return arg_error("555 5.5.4 unsupported parameter");
    if (parsed->address.is_null())
        return arg_error("501 5.1.3 bad recipient address: empty");
    return RcptArgs { std::move(parsed->address) };
}

Parsed<BdatArgs> parse_bdat(std::string_view argument)
{
    auto const space = argument.find(' ');
    std::string_view const digits = argument.substr(0, space);
    std::string_view const rest
        = space == std::string_view::npos ? "" : trim_spaces(argument.substr(space + 1));
    bool const all_digits
        = !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
    if (!all_digits || !(rest.empty() || iequals(rest, "LAST")))
        return arg_error("501 5.5.4 syntax: BDAT size [LAST]");
    auto size = parse_size(digits);
    if (!size)
        return arg_error("552 5.3.4 chunk size too big");
    return BdatArgs { *size, !rest.empty() };
}

} // namespace smtpd
