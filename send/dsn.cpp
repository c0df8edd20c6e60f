#include "dsn.hpp"

#include "address.hpp"
#include "date.hpp"

#include <optional>

namespace send {

namespace {

constexpr size_t kFoldAt = 78;
constexpr size_t kMaxDiagnostic = 2000;

bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

// "C.S.D" at pos (C in 4, 5; S and D one to three digits) not followed by more of a
// number; its length, or 0.
size_t code_length(std::string_view text, size_t pos)
{
    if (pos + 5 > text.size() || (text[pos] != '4' && text[pos] != '5') || text[pos + 1] != '.')
        return 0;
    size_t i = pos + 2;
    for (int part = 0; part < 2; ++part) {
        size_t start = i;
        while (i < text.size() && is_digit(text[i]) && i - start < 4)
            ++i;
        if (i == start || i - start > 3)
            return 0;
        if (part == 0) {
            if (i >= text.size() || text[i] != '.')
                return 0;
            ++i;
        }
    }
    bool const more_number = i < text.size()
        && (text[i] == '.' ? i + 1 < text.size() && is_digit(text[i + 1]) : false);
    return more_number ? 0 : i - pos;
}

// An address for a header field: the local part quoted when needed.
std::string header_address(std::string_view address)
{
    auto [local, domain] = mta::split_at_last_at(address);
    if (address.find('@') == std::string_view::npos)
        return mta::quote_local(address);
    return mta::quote_local(local) + "@" + std::string(domain);
}

// Text for a DSN field: one line of printable ASCII, runs of blanks as one space.
std::string field_text(std::string_view text, size_t max)
{
    std::string out;
    bool blank = false;
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            blank = !out.empty();
            continue;
        }
        if (blank)
            out += ' ';
        blank = false;
        out += (c < 33 || c > 126) ? '?' : ch;
    }
    if (out.size() > max)
        out = out.substr(0, max) + "...";
    return out;
}

// "Name: value" folded at spaces so that lines stay near kFoldAt columns.
std::string folded_field(std::string_view name, std::string_view value)
{
    std::string out(name);
    out += ':';
    size_t column = out.size();
    size_t pos = 0;
    while (pos < value.size()) {
        size_t end = value.find(' ', pos);
        if (end == std::string_view::npos)
            end = value.size();
        std::string_view word = value.substr(pos, end - pos);
        if (column + 1 + word.size() > kFoldAt && column > name.size() + 1) {
            out += "\n";
            column = 0;
        }
        out += ' ';
        out += word;
        column += 1 + word.size();
        pos = end + 1;
    }
    return out + "\n";
}

bool three_digits(std::string_view line)
{
    return line.size() >= 3 && is_digit(line[0]) && is_digit(line[1]) && is_digit(line[2]);
}

// The length of the well-formed UTF-8 sequence at pos (no overlong forms, surrogates or
// code points above U+10FFFF), or 0.
size_t utf8_length(std::string_view text, size_t pos)
{
    auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
    unsigned char const c = byte(pos);
    size_t const n = c < 0x80    ? 1
        : c >= 0xc2 && c <= 0xdf ? 2
        : c >= 0xe0 && c <= 0xef ? 3
        : c >= 0xf0 && c <= 0xf4 ? 4
                                 : 0;
    if (n == 0 || pos + n > text.size())
        return 0;
    for (size_t i = 1; i < n; ++i)
        if ((byte(pos + i) & 0xc0) != 0x80)
            return 0;
    unsigned char const c1 = n > 1 ? byte(pos + 1) : 0;
    if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0) || (c == 0xf0 && c1 < 0x90)
        || (c == 0xf4 && c1 >= 0x90))
        return 0;
    return n;
}

} // namespace

std::string valid_utf8(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        size_t const n = utf8_length(text, i);
        if (n == 0) {
            out += '?';
            ++i;
            continue;
        }
        out.append(text.substr(i, n));
        i += n;
    }
    return out;
}

std::optional<SmtpReport> smtp_report(std::string_view report)
{
    constexpr std::string_view kSaid = "Remote host said: ";
    size_t const at = report.find(kSaid);
    if (at == std::string_view::npos || (at > 0 && report[at - 1] != '\n'))
        return std::nullopt;
    SmtpReport out;
    // The reply: its first line, and more while a line is a continuation ("550-...").
    size_t pos = at + kSaid.size();
    for (;;) {
        size_t const nl = report.find('\n', pos);
        std::string_view const line
            = report.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
        if (!out.reply.empty())
            out.reply += '\n';
        out.reply += line;
        if (nl == std::string_view::npos || !three_digits(line) || line.size() < 4
            || line[3] != '-')
            break;
        pos = nl + 1;
        if (!three_digits(report.substr(pos)))
            break;
    }
    if (!three_digits(out.reply))
        return std::nullopt;
    // The host: remote's line before the reply names it, "NAME ..." or "Connected to NAME but
    // ...", where NAME is "exchanger[IP]" or an IP address alone.
    std::string_view const before = report.substr(0, at == 0 ? 0 : at - 1);
    size_t const nl = before.rfind('\n');
    std::string_view name = nl == std::string_view::npos ? before : before.substr(nl + 1);
    if (name.starts_with("Connected to "))
        name.remove_prefix(13);
    name = name.substr(0, name.find(' '));
    if (size_t bracket = name.find('['); bracket != std::string_view::npos && bracket > 0)
        name = name.substr(0, bracket);
    bool const plausible = !name.empty()
        && name.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyz"
                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-_:")
            == std::string_view::npos;
    if (plausible)
        out.host = name;
    return out;
}

namespace {

bool has_8bit(std::string_view text)
{
    for (char c : text)
        if (static_cast<unsigned char>(c) >= 0x80)
            return true;
    return false;
}

std::string notification_text(Dsn const& dsn)
{
    std::string out = "Hi. This is the send program at " + dsn.reporting_host + ".\n";
    out += dsn.double_bounce
        ? "I tried to deliver a bounce message to this address, but the bounce bounced!\n"
        : "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
          "This is a permanent error; I've given up. Sorry it didn't work out.\n";
    out += "\n";
    for (auto const& r : dsn.failed) {
        out += "<" + r.address + ">:\n";
        if (!r.report.empty())
            out += r.report + "\n";
        out += "\n";
    }
    if (dsn.headers_only)
        out += dsn.double_bounce ? "--- Below this line is the header of the original bounce.\n"
                                 : "--- Below this line is the header of the message.\n";
    else
        out += dsn.double_bounce ? "--- Below this line is the original bounce.\n"
                                 : "--- Below this line is a copy of the message.\n";
    return out;
}

std::string delivery_status(Dsn const& dsn)
{
    std::string out = "Reporting-MTA: dns; " + field_text(dsn.reporting_host, 255) + "\n";
    out += "Arrival-Date: " + mta::rfc822_date(dsn.arrival) + "\n";
    for (auto const& r : dsn.failed) {
        out += "\nFinal-Recipient: rfc822; " + field_text(r.address, 1000) + "\n";
        out += "Action: failed\n";
        out += "Status: " + status_code(r.report) + "\n";
        auto const smtp = r.remote ? smtp_report(r.report) : std::nullopt;
        if (smtp && !smtp->host.empty())
            out += "Remote-MTA: dns; " + smtp->host + "\n";
        out += folded_field("Diagnostic-Code",
            smtp ? "smtp; " + field_text(smtp->reply, kMaxDiagnostic)
                 : "x-unix; " + field_text(r.report, kMaxDiagnostic));
    }
    return out;
}

// A boundary that occurs in none of the parts.
std::string choose_boundary(Dsn const& dsn, std::string_view text, std::string_view status)
{
    for (unsigned n = 0;; ++n) {
        std::string b = "=_send_" + std::to_string(dsn.now) + "_" + std::to_string(n);
        if (dsn.original.find(b) == std::string_view::npos && text.find(b) == std::string::npos
            && status.find(b) == std::string::npos)
            return b;
    }
}

} // namespace

std::string bounce_paragraph(std::string_view address, bool remote, std::string_view report)
{
    std::string out = remote ? "R<" : "<";
    for (char c : address)
        out += c == '\n' ? '_' : c;
    out += ">:\n";
    while (!report.empty() && report.back() == '\n')
        report.remove_suffix(1);
    std::string body(report);
    for (size_t i = body.size(); i-- > 1;)
        if (body[i] == '\n' && body[i - 1] == '\n')
            body[i] = '/';
    out += body;
    if (!body.empty())
        out += '\n';
    out += '\n';
    return out;
}

std::vector<FailedRecipient> parse_bounce_paragraphs(std::string_view text)
{
    std::vector<FailedRecipient> out;
    size_t pos = 0;
    while (pos < text.size()) {
        if (text[pos] == '\n') {
            ++pos;
            continue;
        }
        size_t end = text.find("\n\n", pos);
        if (end == std::string_view::npos)
            end = text.size();
        std::string_view para = text.substr(pos, end - pos);
        pos = end;
        FailedRecipient r;
        r.remote = para.starts_with("R<");
        if (r.remote)
            para.remove_prefix(1);
        size_t nl = para.find('\n');
        std::string_view first = para.substr(0, nl);
        if (first.size() < 3 || first[0] != '<' || !first.ends_with(">:"))
            continue;
        r.address = first.substr(1, first.size() - 3);
        if (nl != std::string_view::npos)
            r.report = para.substr(nl + 1);
        out.push_back(std::move(r));
    }
    return out;
}

std::string status_code(std::string_view report)
{
    for (size_t i = 0; i + 1 < report.size(); ++i)
        if (report[i] == '#')
            if (size_t n = code_length(report, i + 1))
                return std::string(report.substr(i + 1, n));
    for (size_t i = 0; i < report.size(); ++i) {
        if (i > 0 && report[i - 1] != ' ' && report[i - 1] != '\n' && report[i - 1] != '(')
            continue;
        if (size_t n = code_length(report, i))
            return std::string(report.substr(i, n));
    }
    return "5.0.0";
}

std::string_view header_section(std::string_view message)
{
    if (message.starts_with("\n"))
        return message.substr(0, 1);
    if (message.starts_with("\r\n"))
        return message.substr(0, 2);
    size_t lf = message.find("\n\n");
    size_t crlf = message.find("\n\r\n");
    size_t end = std::min(lf == std::string_view::npos ? message.size() : lf + 2,
        crlf == std::string_view::npos ? message.size() : crlf + 3);
    return message.substr(0, end);
}

std::string compose_dsn(Dsn const& dsn)
{
    std::string const text = valid_utf8(notification_text(dsn));
    std::string const status = delivery_status(dsn);
    std::string const b = choose_boundary(dsn, text, status);
    std::string out = "Date: " + mta::rfc822_date(dsn.now) + "\n";
    out += "From: " + header_address(dsn.from) + "\n";
    out += "To: " + header_address(dsn.to) + "\n";
    out += "Subject: failure notice\n";
    out += "Message-ID: <" + dsn.message_id + ">\n";
    out += "Auto-Submitted: auto-replied\n";
    out += "MIME-Version: 1.0\n";
    out += "Content-Type: multipart/report; report-type=delivery-status;\n\tboundary=\"" + b
        + "\"\n\n";
    out += "This is a delivery status notification in MIME format (RFC 3464).\n";

    out += "\n--" + b + "\n";
    out += has_8bit(text) ? "Content-Type: text/plain; charset=utf-8\n"
                            "Content-Transfer-Encoding: 8bit\n"
                          : "Content-Type: text/plain; charset=us-ascii\n";
    out += "Content-Description: Notification\n\n" + text;

    out += "\n--" + b + "\n";
    out += "Content-Type: message/delivery-status\n";
    out += "Content-Description: Delivery report\n\n" + status;

    out += "\n--" + b + "\n";
    out += dsn.headers_only ? "Content-Type: text/rfc822-headers\n"
                              "Content-Description: Undelivered message header\n"
                            : "Content-Type: message/rfc822\n"
                              "Content-Description: Undelivered message\n";
    if (has_8bit(dsn.original))
        out += "Content-Transfer-Encoding: 8bit\n";
    out += "\nReturn-Path: <";
    out += dsn.return_path.empty() ? "" : header_address(dsn.return_path);
    out += ">\n";
    out += dsn.original;
    out += "\n--" + b + "--\n";
    return out;
}

} // namespace send
