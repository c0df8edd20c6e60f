#include "mime.hpp"

#include "header.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace imapd {

namespace {

bool iequals(std::string_view a, std::string_view b)
{
    return mta::field_name_equals(a, b);
}

bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Tokens of a structured header value (RFC 5322 3.2, RFC 2045 5.1): words, quoted
// strings, domain literals and specials; comments are skipped.
struct Token {
    char kind; // 'w' word, 'q' quoted string, 'l' domain literal, or the special itself
    std::string text;
};

std::vector<Token> tokenize(std::string_view v, std::string_view specials)
{
    std::vector<Token> out;
    size_t i = 0;
    while (i < v.size() && out.size() < 10000) {
        char c = v[i];
        if (is_space(c)) {
            ++i;
        } else if (c == '(') {
            int depth = 0;
            for (; i < v.size(); ++i) {
                if (v[i] == '\\')
                    ++i;
                else if (v[i] == '(')
                    ++depth;
                else if (v[i] == ')' && --depth == 0)
                    break;
            }
            ++i;
        } else if (c == '"') {
            std::string text;
            for (++i; i < v.size() && v[i] != '"'; ++i) {
                if (v[i] == '\\' && i + 1 < v.size())
                    ++i;
                if (v[i] != '\r' && v[i] != '\n')
                    text += v[i];
            }
            ++i;
            out.push_back({ 'q', std::move(text) });
        } else if (c == '[') {
            size_t end = v.find(']', i);
            end = end == std::string_view::npos ? v.size() : end + 1;
            out.push_back({ 'l', std::string(v.substr(i, end - i)) });
            i = end;
        } else if (specials.find(c) != std::string_view::npos) {
            out.push_back({ c, std::string(1, c) });
            ++i;
        } else {
            size_t start = i;
            while (i < v.size() && !is_space(v[i]) && v[i] != '(' && v[i] != '"'
                && specials.find(v[i]) == std::string_view::npos)
                ++i;
            out.push_back({ 'w', std::string(v.substr(start, i - start)) });
        }
    }
    return out;
}

bool is_word(Token const& t)
{
    return t.kind == 'w' || t.kind == 'q';
}

// "type/subtype; a=b" or "attachment; filename=x": the first value and the parameters.
std::pair<std::string, std::vector<Param>> parse_params(std::string_view value)
{
    auto tokens = tokenize(value, "()<>@,;:\\\"/[]?=");
    std::string first;
    size_t i = 0;
    while (i < tokens.size() && tokens[i].kind != ';')
        first += tokens[i++].text;
    std::vector<Param> params;
    while (i < tokens.size()) {
        ++i; // ';'
        if (i + 2 < tokens.size() + 0 && is_word(tokens[i]) && tokens[i + 1].kind == '='
            && is_word(tokens[i + 2])) {
            params.push_back({ tokens[i].text, tokens[i + 2].text });
            i += 3;
        }
        while (i < tokens.size() && tokens[i].kind != ';')
            ++i;
    }
    return { first, params };
}

size_t count_lines(std::string_view body)
{
    size_t n = 0;
    size_t pos = 0;
    while (auto const* lf
        = static_cast<char const*>(std::memchr(body.data() + pos, '\n', body.size() - pos))) {
        ++n;
        pos = static_cast<size_t>(lf - body.data()) + 1;
    }
    if (!body.empty() && body.back() != '\n')
        ++n;
    return n;
}

void parse_part(std::string_view text, Part& part, int depth, bool digest_child);

void parse_header(std::string_view text, Part& part, bool digest_child)
{
    std::string_view header = text.substr(part.header_begin, part.end - part.header_begin);
    mta::HeaderReader reader(header);
    while (auto field = reader.next()) {
        std::string_view name = field->name;
        if (name.size() < 8 || !iequals(name.substr(0, 8), "Content-"))
            continue;
        std::string value = mta::unfold(field->raw_value);
        if (iequals(name, "Content-Type")) {
            auto [type, params] = parse_params(value);
            size_t slash = type.find('/');
            if (slash != std::string::npos && slash > 0 && slash + 1 < type.size()) {
                part.type = type.substr(0, slash);
                part.subtype = type.substr(slash + 1);
                part.params = std::move(params);
                part.has_content_type = true;
            }
        } else if (iequals(name, "Content-Transfer-Encoding")) {
            part.encoding = value;
        } else if (iequals(name, "Content-ID")) {
            part.id = value;
        } else if (iequals(name, "Content-Description")) {
            part.description = value;
        } else if (iequals(name, "Content-MD5")) {
            part.md5 = value;
        } else if (iequals(name, "Content-Language")) {
            part.language = value;
        } else if (iequals(name, "Content-Location")) {
            part.location = value;
        } else if (iequals(name, "Content-Disposition")) {
            auto [disp, params] = parse_params(value);
            if (!disp.empty()) {
                part.disposition = disp;
                part.disposition_params = std::move(params);
            }
        }
    }
    if (!part.has_content_type && digest_child) {
        part.type = "message";
        part.subtype = "rfc822";
    }
    part.body_begin = part.header_begin + reader.body_offset();
}

std::optional<std::string> boundary_of(Part const& part)
{
    for (auto const& p : part.params)
        if (iequals(p.name, "boundary") && !p.value.empty() && p.value.size() <= 200)
            return p.value;
    return std::nullopt;
}

// Where each boundary line "--b" starts (at the body start or after a LF), and whether it
// closes ("--b--").
void parse_multipart(std::string_view text, Part& part, int depth)
{
    auto boundary = boundary_of(part);
    if (!boundary)
        return;
    std::string const dash = "--" + *boundary;
    bool const digest = iequals(part.subtype, "digest");
    size_t pos = part.body_begin;
    size_t content_start = std::string::npos;
    while (pos < part.end) {
        size_t line_end = text.find('\n', pos);
        if (line_end == std::string_view::npos || line_end >= part.end)
            line_end = part.end;
        std::string_view line = text.substr(pos, line_end - pos);
        if (line.size() >= dash.size() && line.substr(0, dash.size()) == dash) {
            std::string_view rest = line.substr(dash.size());
            bool const closing = rest.substr(0, 2) == "--";
            if (closing)
                rest.remove_prefix(2);
            while (!rest.empty() && is_space(rest.front()))
                rest.remove_prefix(1);
            if (rest.empty()) {
                if (content_start != std::string::npos && part.children.size() < 10000) {
                    // The CRLF before a boundary belongs to the boundary.
                    size_t end = pos;
                    if (end > content_start && text[end - 1] == '\n')
                        --end;
                    if (end > content_start && text[end - 1] == '\r')
                        --end;
                    Part child;
                    child.header_begin = content_start;
                    child.end = end;
                    parse_part(text, child, depth + 1, digest);
                    part.children.push_back(std::move(child));
                }
                if (closing)
                    return;
                content_start = line_end < part.end ? line_end + 1 : part.end;
            }
        }
        pos = line_end + 1;
    }
    if (content_start != std::string::npos && part.children.size() < 10000) {
        Part child; // no closing boundary: the last part runs to the end
        child.header_begin = content_start;
        child.end = part.end;
        parse_part(text, child, depth + 1, digest);
        part.children.push_back(std::move(child));
    }
}

void parse_part(std::string_view text, Part& part, int depth, bool digest_child)
{
    parse_header(text, part, digest_child);
    if (part.body_begin > part.end)
        part.body_begin = part.end;
    part.lines = count_lines(text.substr(part.body_begin, part.end - part.body_begin));
    if (depth >= kMaxDepth)
        return;
    if (part.multipart()) {
        parse_multipart(text, part, depth);
    } else if (part.rfc822()) {
        Part message;
        message.header_begin = part.body_begin;
        message.end = part.end;
        parse_part(text, message, depth + 1, false);
        part.children.push_back(std::move(message));
    }
}

// ENVELOPE addresses (RFC 3501 7.4.2): a list of (name adl mailbox host).
struct Address {
    std::optional<std::string> name, route, mailbox, host;
};

std::string join_words(std::vector<Token> const& tokens, size_t begin, size_t end, bool spaced)
{
    std::string out;
    for (size_t i = begin; i < end; ++i) {
        if (spaced && !out.empty() && tokens[i].kind != '.' && tokens[i - 1].kind != '.')
            out += ' ';
        out += tokens[i].text;
    }
    return out;
}

Address addr_spec(std::vector<Token> const& t, size_t begin, size_t end)
{
    Address a;
    size_t at = begin;
    while (at < end && t[at].kind != '@')
        ++at;
    a.mailbox = join_words(t, begin, at, false);
    if (at < end)
        a.host = join_words(t, at + 1, end, false);
    return a;
}

std::vector<Address> parse_addresses(std::string_view value)
{
    auto t = tokenize(value, "()<>@,;:\\\".[]");
    std::vector<Address> out;
    size_t start = 0;
    bool in_group = false;
    auto flush = [&](size_t end) {
        if (end > start)
            out.push_back(addr_spec(t, start, end));
    };
    for (size_t i = 0; i < t.size() && out.size() < 10000; ++i) {
        char k = t[i].kind;
        if (k == ':' && !in_group) {
            Address group;
            group.mailbox = join_words(t, start, i, true);
            out.push_back(group);
            in_group = true;
            start = i + 1;
        } else if (k == '<') {
            Address a;
            if (i > start)
                a.name = join_words(t, start, i, true);
            size_t j = i + 1;
            size_t spec = j;
            while (j < t.size() && t[j].kind != '>') {
                if (t[j].kind == ':' && t[spec].kind == '@') {
                    a.route = join_words(t, spec, j, false);
                    spec = j + 1;
                }
                ++j;
            }
            Address s = addr_spec(t, spec, j);
            a.mailbox = s.mailbox;
            a.host = s.host;
            out.push_back(a);
            while (j < t.size() && t[j].kind != ',' && t[j].kind != ';')
                ++j;
            i = j < t.size() && t[j].kind == ';' ? j - 1 : j;
            start = i + 1;
        } else if (k == ',') {
            flush(i);
            start = i + 1;
        } else if (k == ';') {
            flush(i);
            start = i + 1;
            if (in_group)
                out.push_back(Address {});
            in_group = false;
        }
    }
    flush(t.size());
    if (in_group)
        out.push_back(Address {});
    return out;
}

std::string address_list(std::optional<std::string> const& value)
{
    if (!value)
        return "NIL";
    auto list = parse_addresses(*value);
    if (list.empty())
        return "NIL";
    std::string out = "(";
    for (auto const& a : list) {
        out += '(';
        out += nstring(a.name) + ' ' + nstring(a.route) + ' ' + nstring(a.mailbox) + ' '
            + nstring(a.host);
        out += ')';
    }
    out += ')';
    return out;
}

std::string param_list(std::vector<Param> const& params)
{
    if (params.empty())
        return "NIL";
    std::string out = "(";
    for (auto const& p : params) {
        if (out.size() > 1)
            out += ' ';
        out += quote(p.name) + ' ' + quote(p.value);
    }
    return out + ')';
}

std::string disposition(Part const& part)
{
    if (!part.disposition)
        return "NIL";
    return "(" + quote(*part.disposition) + ' ' + param_list(part.disposition_params) + ')';
}

std::string structure(std::string_view text, Part const& part, bool ext, int depth)
{
    std::string out = "(";
    if (part.multipart() && !part.children.empty() && depth < kMaxDepth * 2) {
        for (auto const& child : part.children)
            out += structure(text, child, ext, depth + 1);
        out += ' ' + quote(part.subtype);
        if (ext)
            out += ' ' + param_list(part.params) + ' ' + disposition(part) + ' '
                + nstring(part.language) + ' ' + nstring(part.location);
        return out + ')';
    }
    bool const multipart_without_parts = part.multipart();
    std::vector<Param> params = part.params;
    if (!part.has_content_type)
        params.push_back({ "charset", "us-ascii" });
    out += quote(multipart_without_parts ? "text" : part.type) + ' '
        + quote(multipart_without_parts ? "plain" : part.subtype) + ' ' + param_list(params) + ' '
        + nstring(part.id) + ' ' + nstring(part.description) + ' '
        + quote(part.encoding ? *part.encoding : "7bit") + ' '
        + std::to_string(part.end - part.body_begin);
    if (part.rfc822() && !part.children.empty() && depth < kMaxDepth * 2) {
        out += ' ' + envelope(text, part.children[0]) + ' '
            + structure(text, part.children[0], ext, depth + 1) + ' ' + std::to_string(part.lines);
    } else if (iequals(part.type, "text") || multipart_without_parts) {
        out += ' ' + std::to_string(part.lines);
    }
    if (ext)
        out += ' ' + nstring(part.md5) + ' ' + disposition(part) + ' ' + nstring(part.language)
            + ' ' + nstring(part.location);
    return out + ')';
}

// The part a section's numbers name (RFC 3501 6.4.5).
Part const* descend_message(Part const* message, uint32_t k)
{
    if (message->multipart())
        return k <= message->children.size() ? &message->children[k - 1] : nullptr;
    return k == 1 ? message : nullptr;
}

Part const* find_part(Part const& root, std::vector<uint32_t> const& path)
{
    Part const* p = &root;
    bool at_message = true;
    for (uint32_t k : path) {
        if (at_message)
            p = descend_message(p, k);
        else if (p->multipart())
            p = k <= p->children.size() ? &p->children[k - 1] : nullptr;
        else if (p->rfc822() && !p->children.empty())
            p = descend_message(&p->children[0], k);
        else
            p = nullptr;
        if (!p)
            return nullptr;
        at_message = false;
    }
    return p;
}

std::string header_fields(
    std::string_view text, Part const& message, std::vector<std::string> const& names, bool not_)
{
    std::string_view header
        = text.substr(message.header_begin, message.body_begin - message.header_begin);
    mta::HeaderReader reader(header);
    std::string out;
    while (auto field = reader.next()) {
        bool listed = false;
        for (auto const& n : names)
            listed = listed || iequals(field->name, n);
        if (listed != not_)
            out += header.substr(field->offset, field->length);
    }
    return out + "\r\n";
}

} // namespace

bool Part::multipart() const
{
    return iequals(type, "multipart");
}

bool Part::rfc822() const
{
    return iequals(type, "message") && iequals(subtype, "rfc822");
}

std::string to_crlf(std::string_view text)
{
    std::string out;
    out.reserve(crlf_size(text));
    size_t pos = 0;
    while (pos < text.size()) {
        auto const* lf
            = static_cast<char const*>(std::memchr(text.data() + pos, '\n', text.size() - pos));
        size_t const end = lf ? static_cast<size_t>(lf - text.data()) : text.size();
        out.append(text.data() + pos, end - pos);
        if (!lf)
            break;
        if (end == 0 || text[end - 1] != '\r')
            out += '\r';
        out += '\n';
        pos = end + 1;
    }
    return out;
}

size_t crlf_size(std::string_view text)
{
    size_t n = text.size();
    size_t pos = 0;
    while (auto const* lf
        = static_cast<char const*>(std::memchr(text.data() + pos, '\n', text.size() - pos))) {
        size_t const at = static_cast<size_t>(lf - text.data());
        if (at == 0 || text[at - 1] != '\r')
            ++n;
        pos = at + 1;
    }
    return n;
}

Part parse_message(std::string_view text)
{
    Part root;
    root.end = text.size();
    parse_part(text, root, 0, false);
    return root;
}

std::optional<std::string> header_value(
    std::string_view text, Part const& message, std::string_view name)
{
    mta::HeaderReader reader(
        text.substr(message.header_begin, message.body_begin - message.header_begin));
    while (auto field = reader.next())
        if (iequals(field->name, name))
            return mta::unfold(field->raw_value);
    return std::nullopt;
}

std::string envelope(std::string_view text, Part const& message)
{
    auto get = [&](std::string_view name) { return header_value(text, message, name); };
    auto from = get("From");
    auto sender = get("Sender");
    auto reply_to = get("Reply-To");
    std::string out = "(" + nstring(get("Date")) + ' ' + nstring(get("Subject")) + ' ';
    std::string const from_list = address_list(from);
    out += from_list + ' ';
    out += (sender && !parse_addresses(*sender).empty() ? address_list(sender) : from_list) + ' ';
    out += (reply_to && !parse_addresses(*reply_to).empty() ? address_list(reply_to) : from_list)
        + ' ';
    out += address_list(get("To")) + ' ' + address_list(get("Cc")) + ' ' + address_list(get("Bcc"))
        + ' ' + nstring(get("In-Reply-To")) + ' ' + nstring(get("Message-ID")) + ')';
    return out;
}

std::string body_structure(std::string_view text, Part const& message, bool extensible)
{
    return structure(text, message, extensible, 0);
}

std::optional<std::string> section_text(
    std::string_view text, Part const& root, Section const& section)
{
    using T = Section::Text;
    Part const* p = find_part(root, section.part);
    if (!p)
        return std::nullopt;
    Part const* message = p;
    if (!section.part.empty() && section.text != T::none && section.text != T::mime) {
        if (!p->rfc822() || p->children.empty())
            return std::nullopt;
        message = &p->children[0];
    }
    switch (section.text) {
    case T::none:
        if (section.part.empty())
            return std::string(text.substr(root.header_begin, root.end - root.header_begin));
        return std::string(text.substr(p->body_begin, p->end - p->body_begin));
    case T::mime:
    case T::header:
        return std::string(
            text.substr(message->header_begin, message->body_begin - message->header_begin));
    case T::header_fields:
    case T::header_fields_not:
        return header_fields(text, *message, section.fields, section.text == T::header_fields_not);
    case T::text:
        return std::string(text.substr(message->body_begin, message->end - message->body_begin));
    }
    return std::nullopt;
}

std::optional<time_t> parse_rfc822_date(std::string_view value)
{
    // [day-of-week ","] day month year hour ":" minute [":" second] zone
    auto t = tokenize(value, ",:");
    size_t i = 0;
    if (i + 1 < t.size() && t[i + 1].kind == ',')
        i += 2;
    int day = 0;
    int year = 0;
    int h = 0;
    int m = 0;
    int s = 0;
    auto num = [](std::string const& w, int& out) {
        auto [ptr, ec] = std::from_chars(w.data(), w.data() + w.size(), out);
        return !w.empty() && ec == std::errc() && ptr == w.data() + w.size();
    };
    if (i + 4 >= t.size() || !num(t[i].text, day) || !num(t[i + 2].text, year)
        || !num(t[i + 3].text, h) || t[i + 4].kind != ':' || i + 5 >= t.size()
        || !num(t[i + 5].text, m))
        return std::nullopt;
    std::string month = t[i + 1].text;
    i += 6;
    if (i + 1 < t.size() && t[i].kind == ':' && num(t[i + 1].text, s))
        i += 2;
    if (year < 50)
        year += 2000;
    else if (year < 1000)
        year += 1900;
    std::string d = std::to_string(day) + "-" + month.substr(0, 3) + "-" + std::to_string(year);
    auto date = parse_search_date(d);
    if (!date)
        return std::nullopt;
    int offset = 0;
    if (i < t.size()) {
        std::string const& z = t[i].text;
        int zone = 0;
        if (z.size() == 5 && (z[0] == '+' || z[0] == '-') && num(z.substr(1), zone))
            offset = (z[0] == '-' ? -1 : 1) * ((zone / 100) * 3600 + (zone % 100) * 60);
    }
    return *date + time_t { h } * 3600 + time_t { m } * 60 + s - offset;
}

} // namespace imapd
