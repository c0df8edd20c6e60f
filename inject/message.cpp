#include "message.hpp"

#include "address.hpp"
#include "date.hpp"
#include "header.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

namespace inject {

namespace {

enum class Field {
    unknown,
    sender,
    from,
    reply_to,
    to,
    cc,
    bcc,
    date,
    message_id,
    resent_sender,
    resent_from,
    resent_reply_to,
    resent_to,
    resent_cc,
    resent_bcc,
    resent_date,
    resent_message_id,
    return_receipt_to,
    errors_to,
    apparently_to,
    return_path,
    content_length,
    mail_followup_to,
    count,
};

struct KnownField {
    std::string_view name;
    Field field;
};

constexpr std::array kKnownFields {
    KnownField { "Sender", Field::sender },
    KnownField { "From", Field::from },
    KnownField { "Reply-To", Field::reply_to },
    KnownField { "To", Field::to },
    KnownField { "Cc", Field::cc },
    KnownField { "Bcc", Field::bcc },
    KnownField { "Date", Field::date },
    KnownField { "Message-ID", Field::message_id },
    KnownField { "Resent-Sender", Field::resent_sender },
    KnownField { "Resent-From", Field::resent_from },
    KnownField { "Resent-Reply-To", Field::resent_reply_to },
    KnownField { "Resent-To", Field::resent_to },
    KnownField { "Resent-Cc", Field::resent_cc },
    KnownField { "Resent-Bcc", Field::resent_bcc },
    KnownField { "Resent-Date", Field::resent_date },
    KnownField { "Resent-Message-ID", Field::resent_message_id },
    KnownField { "Return-Receipt-To", Field::return_receipt_to },
    KnownField { "Errors-To", Field::errors_to },
    KnownField { "Apparently-To", Field::apparently_to },
    KnownField { "Return-Path", Field::return_path },
    KnownField { "Content-Length", Field::content_length },
    KnownField { "Mail-Followup-To", Field::mail_followup_to },
};

const char kVerpSuffix[] = "-@[]";

Field field_of(std::string_view name)
{
    for (auto const& known : kKnownFields) {
        if (mta::field_name_equals(name, known.name))
            return known.field;
    }
    return Field::unknown;
}

bool is_sender_field(Field f)
{
    return f == Field::sender || f == Field::from || f == Field::reply_to
        || f == Field::return_receipt_to || f == Field::errors_to || f == Field::resent_sender
        || f == Field::resent_from || f == Field::resent_reply_to;
}

bool is_resent_field(Field f)
{
    return f == Field::resent_sender || f == Field::resent_from || f == Field::resent_reply_to
        || f == Field::resent_to || f == Field::resent_cc || f == Field::resent_bcc
        || f == Field::resent_date || f == Field::resent_message_id;
}

// Fields that are read but never queued.
bool is_removed(Field f)
{
    return f == Field::bcc || f == Field::resent_bcc || f == Field::return_path
        || f == Field::content_length;
}

std::string excerpt_of(std::string_view text)
{
    constexpr std::size_t kMax = 200;
    std::string_view first = text.substr(0, text.find('\n'));
    std::string out;
    for (char c : first.substr(0, kMax)) {
        auto u = static_cast<unsigned char>(c);
        out += (u < 32 && c != '\t') || u == 127 ? '?' : c;
    }
    if (first.size() > kMax)
        out += "...";
    return out;
}

std::string pad(unsigned value, int width)
{
    std::array<char, 16> buf {};
    auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
    (void)ec;
    std::string digits(buf.data(), end);
    if (digits.size() < static_cast<std::size_t>(width))
        digits.insert(0, static_cast<std::size_t>(width) - digits.size(), '0');
    return digits;
}

// A personal name as a display name: as written when it is words of atext separated by
// single spaces, else a quoted string.
std::string display_name(std::string_view name)
{
    bool plain = !name.empty() && name.front() != ' ' && name.back() != ' '
        && name.find("  ") == std::string_view::npos;
    for (char c : name) {
        auto u = static_cast<unsigned char>(c);
        bool atext = u >= 0x80 || (u > 32 && u < 127 && !std::strchr("()<>[]:;@\\,.\"", c));
        plain = plain && (atext || c == ' ');
    }
    if (plain)
        return std::string(name);
    std::string out = "\"";
    for (char c : name) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + '"';
}

std::string comment_text(std::string_view name)
{
    std::string out;
    for (char c : name) {
        if (c == '(' || c == ')' || c == '\\')
            out += '\\';
        out += c;
    }
    return out;
}

// An environment value on one line: CR and LF become spaces.
std::string one_line(std::string_view value)
{
    std::string out(value);
    std::replace(out.begin(), out.end(), '\r', ' ');
    std::replace(out.begin(), out.end(), '\n', ' ');
    return out;
}

// The header walk: one instance per message.
class Processor {
public:
    Processor(Rewriter const& rewriter, MessageSettings const& settings)
        : m_rw(rewriter)
        , m_settings(settings)
    {
        if (settings.envelope_sender)
            m_sender = settings.envelope_sender;
    }

    std::optional<HeaderError> field(InputField const& input)
    {
        std::string_view text = input.text;
        std::size_t colon = text.find(':');
        std::string_view name = field_name_of(text);
        if (colon == text.npos || !valid_field_name(name))
            return HeaderError { input.line, "invalid header field name", excerpt_of(text) };
        Field f = field_of(name);
        Flags const& flags = m_settings.flags;
        if ((flags.delete_from && f == Field::from)
            || (flags.delete_message_id && f == Field::message_id)
            || (flags.delete_return_path && f == Field::return_path))
            return std::nullopt;
        m_seen[static_cast<std::size_t>(f)] = true;
        std::string kept = input.text;
        if (is_address_field(f)) {
            std::string_view value = text.substr(colon + 1);
            if (value.ends_with('\n'))
                value.remove_suffix(1);
            auto rewritten = m_rw.rewrite_field(name, value);
            if (!rewritten)
                return HeaderError { input.line, rewritten.error().what, excerpt_of(text) };
            collect(f, rewritten->addresses);
            kept = std::move(rewritten->text);
        }
        if (!is_removed(f))
            m_kept += kept;
        return std::nullopt;
    }

    std::variant<Message, HeaderError> finish()
    {
        Message message;
        message.resent = false;
        for (auto const& known : kKnownFields)
            message.resent = message.resent || (is_resent_field(known.field) && seen(known.field));
        if (!m_sender) {
            auto sender = default_sender(
                m_settings.identity, m_settings.flags, m_rw, m_settings.now, m_settings.pid);
            if (!sender)
                return HeaderError { 0,
                    std::string("unable to make the envelope sender from the environment: ")
                        + sender.error().what,
                    {} };
            m_sender = *sender;
        }
        message.sender = *m_sender;
        auto added = added_fields(message.resent);
        if (auto* error = std::get_if<HeaderError>(&added))
            return *error;
        message.header = std::get<std::string>(added) + m_kept;
        for (auto& r : message.resent ? m_resent_recipients : m_recipients) {
            if (!r.empty())
                message.header_recipients.push_back(std::move(r));
        }
        return message;
    }

private:
    static bool is_address_field(Field f)
    {
        return is_sender_field(f) || f == Field::to || f == Field::cc || f == Field::bcc
            || f == Field::apparently_to || f == Field::resent_to || f == Field::resent_cc
            || f == Field::resent_bcc || f == Field::return_path;
    }

    bool seen(Field f) const { return m_seen[static_cast<std::size_t>(f)]; }

    void collect(Field f, std::vector<std::string> const& addresses)
    {
        switch (f) {
        case Field::to:
        case Field::cc:
            m_to_cc.insert(m_to_cc.end(), addresses.begin(), addresses.end());
            [[fallthrough]];
        case Field::bcc:
        case Field::apparently_to:
            m_recipients.insert(m_recipients.end(), addresses.begin(), addresses.end());
            break;
        case Field::resent_to:
        case Field::resent_cc:
        case Field::resent_bcc:
            m_resent_recipients.insert(
                m_resent_recipients.end(), addresses.begin(), addresses.end());
            break;
        case Field::return_path:
            if (!m_sender && !addresses.empty()) {
                m_sender = addresses.front();
                if (m_settings.flags.verp_recipient && !m_sender->empty())
                    *m_sender += kVerpSuffix;
            }
            break;
        default:
            break;
        }
    }

    std::variant<std::string, HeaderError> added_fields(bool resent)
    {
        std::string prefix = resent ? "Resent-" : "";
        std::string out;
        if (!seen(resent ? Field::resent_date : Field::date))
            out += prefix + "Date: " + mta::rfc822_date(m_settings.now) + "\n";
        if (!seen(resent ? Field::resent_message_id : Field::message_id))
            out += prefix
                + message_id_field(
                    m_settings.now, m_settings.pid, m_settings.unique, m_settings.idhost);
        if (!seen(resent ? Field::resent_from : Field::from)) {
            auto from = m_rw.rewrite_field("From", from_value());
            if (!from)
                return HeaderError { 0,
                    std::string("unable to make a From: field from the environment: ")
                        + from.error().what,
                    {} };
            out += prefix + from->text;
        }
        if (!seen(resent ? Field::resent_to : Field::to)
            && !seen(resent ? Field::resent_cc : Field::cc))
            out += prefix + "Cc: recipient list not shown: ;\n";
        if (!resent)
            out += followup_field();
        return out;
    }

    // The From: value made from the identity, before rewriting.
    std::string from_value() const
    {
        Identity const& id = m_settings.identity;
        std::string address = mta::quote_local(one_line(id.user));
        if (id.host)
            address += "@" + one_line(*id.host);
        if (!id.name || id.name->empty())
            return address;
        std::string name = one_line(*id.name);
        if (m_settings.flags.name_comment)
            return address + " (" + comment_text(name) + ")";
        return display_name(name) + " <" + address + ">";
    }

    std::string followup_field() const
    {
        auto const& lists = m_settings.followup_lists;
        if (lists.empty() || seen(Field::mail_followup_to))
            return {};
        bool to_list = std::any_of(m_to_cc.begin(), m_to_cc.end(), [&](std::string const& a) {
            return std::any_of(lists.begin(), lists.end(),
                [&](std::string const& l) { return mta::field_name_equals(a, l); });
        });
        if (!to_list)
            return {};
        std::string out = "Mail-Followup-To: ";
        for (std::size_t i = 0; i < m_to_cc.size(); ++i)
            out += (i ? ",\n  " : "") + quote_address(m_to_cc[i]);
        return out + "\n";
    }

    Rewriter const& m_rw;
    MessageSettings const& m_settings;
    std::array<bool, static_cast<std::size_t>(Field::count)> m_seen {};
    std::optional<std::string> m_sender;
    std::string m_kept;
    std::vector<std::string> m_recipients;
    std::vector<std::string> m_resent_recipients;
    std::vector<std::string> m_to_cc;
};

} // namespace

std::string_view field_name_of(std::string_view line)
{
    std::string_view name = line.substr(0, line.find(':'));
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t'))
        name.remove_suffix(1);
    return name;
}

bool valid_field_name(std::string_view name)
{
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u > 32 && u < 127;
    });
}

std::string describe(HeaderError const& error)
{
    if (error.line == 0)
        return error.reason;
    return "unable to parse header line " + std::to_string(error.line) + ": " + error.reason + ": "
        + error.excerpt;
}

std::variant<Message, HeaderError> process_header(std::vector<InputField> const& fields,
    Rewriter const& rewriter, MessageSettings const& settings)
{
    Processor processor(rewriter, settings);
    for (auto const& field : fields) {
        if (auto error = processor.field(field))
            return *error;
    }
    return processor.finish();
}

mta::Result<std::string> default_sender(
    Identity const& identity, Flags const& flags, Rewriter const& rewriter, time_t now, long pid)
{
    std::string user = one_line(identity.sender_user);
    if (flags.verp_message)
        user += "-" + std::to_string(now) + "." + std::to_string(pid);
    if (flags.verp_recipient)
        user += "-";
    std::string address = mta::quote_local(user);
    if (identity.sender_host)
        address += "@" + one_line(*identity.sender_host);
    auto tokens = tokenize(address);
    if (!tokens)
        return tokens.error();
    std::erase_if(*tokens, [](Token const& t) { return t.type == TokenType::comment; });
    rewriter.rewrite_address(*tokens);
    std::string sender = address_text(*tokens);
    if (flags.verp_recipient)
        sender += kVerpSuffix;
    return sender;
}

std::string message_id_field(time_t now, long pid, std::string_view unique, std::string_view idhost)
{
    struct tm tm { };
    gmtime_r(&now, &tm);
    std::string id = "Message-ID: <" + pad(static_cast<unsigned>(tm.tm_year + 1900), 4)
        + pad(static_cast<unsigned>(tm.tm_mon + 1), 2) + pad(static_cast<unsigned>(tm.tm_mday), 2)
        + pad(static_cast<unsigned>(tm.tm_hour), 2) + pad(static_cast<unsigned>(tm.tm_min), 2)
        + pad(static_cast<unsigned>(tm.tm_sec), 2) + "." + std::to_string(pid) + ".";
    id += unique;
    id += "@";
    id += idhost;
    return id + ">\n";
}

} // namespace inject
