#include "command.hpp"

#include <array>
#include <charconv>

namespace imapd {

namespace {

constexpr std::array<std::string_view, 12> kMonths
    = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t const era = (y >= 0 ? y : y - 399) / 400;
    auto const yoe = static_cast<unsigned>(y - era * 400);
    unsigned const doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::optional<unsigned> month_of(std::string_view name)
{
    for (unsigned i = 0; i < kMonths.size(); ++i) {
        if (name.size() == 3 && (name[0] | 0x20) == (kMonths[i][0] | 0x20)
            && (name[1] | 0x20) == kMonths[i][1] && (name[2] | 0x20) == kMonths[i][2])
            return i + 1;
    }
    return std::nullopt;
}

bool digits(std::string_view text, int& out)
{
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return !text.empty() && ec == std::errc() && ptr == text.data() + text.size();
}

// The part numbers of a section ("1.2" or "1.2."); need_text: a text specifier must
// follow (after a final dot).
bool parse_section_part(Cursor& c, Section& s, bool& need_text)
{
    need_text = false;
    while (c.peek() >= '1' && c.peek() <= '9') {
        auto n = c.nz_number();
        if (!n || s.part.size() >= 100)
            return false;
        s.part.push_back(*n);
        need_text = false;
        if (!c.eat('.'))
            break;
        need_text = true;
    }
    return s.part.empty() || need_text || c.peek() == ']';
}

// HEADER, HEADER.FIELDS[.NOT], TEXT, MIME (after part numbers), or none before ']'.
bool parse_section_text(Cursor& c, Section& s, bool need_text)
{
    if (c.keyword("HEADER.FIELDS.NOT"))
        s.text = Section::Text::header_fields_not;
    else if (c.keyword("HEADER.FIELDS"))
        s.text = Section::Text::header_fields;
    else if (c.keyword("HEADER"))
        s.text = Section::Text::header;
    else if (c.keyword("TEXT"))
        s.text = Section::Text::text;
    else if (!s.part.empty() && c.keyword("MIME"))
        s.text = Section::Text::mime;
    else if (need_text || c.peek() != ']')
        return false;
    return true;
}

// " (FROM TO)": the field names of HEADER.FIELDS[.NOT].
bool parse_field_names(Cursor& c, std::vector<std::string>& fields)
{
    if (!c.sp() || !c.eat('('))
        return false;
    while (true) {
        auto name = c.astring();
        if (!name || name->empty())
            return false;
        fields.push_back(std::move(*name));
        if (c.eat(')'))
            return true;
        if (!c.sp())
            return false;
    }
}

// "<origin.count>" after a section, when there is one.
bool parse_partial(Cursor& c, FetchItem& item)
{
    if (!c.eat('<'))
        return true;
    auto origin = c.number();
    if (!origin || !c.eat('.'))
        return false;
    auto count = c.nz_number();
    if (!count || !c.eat('>'))
        return false;
    item.origin = origin;
    item.count = *count;
    return true;
}

// BODY[...] after "BODY" or "BODY.PEEK": section and partial.
bool parse_section(Cursor& c, FetchItem& item)
{
    if (!c.eat('['))
        return false;
    Section& s = item.section;
    bool need_text = false;
    if (!parse_section_part(c, s, need_text) || !parse_section_text(c, s, need_text))
        return false;
    bool const has_fields
        = s.text == Section::Text::header_fields || s.text == Section::Text::header_fields_not;
    if (has_fields && !parse_field_names(c, s.fields))
        return false;
    return c.eat(']') && parse_partial(c, item);
}

std::optional<FetchItem> parse_fetch_att(Cursor& c)
{
    using K = FetchItem::Kind;
    FetchItem item;
    if (c.keyword("ENVELOPE"))
        item.kind = K::envelope;
    else if (c.keyword("FLAGS"))
        item.kind = K::flags;
    else if (c.keyword("INTERNALDATE"))
        item.kind = K::internaldate;
    else if (c.keyword("RFC822.HEADER"))
        item.kind = K::rfc822_header;
    else if (c.keyword("RFC822.SIZE"))
        item.kind = K::rfc822_size;
    else if (c.keyword("RFC822.TEXT"))
        item.kind = K::rfc822_text;
    else if (c.keyword("RFC822"))
        item.kind = K::rfc822;
    else if (c.keyword("BODYSTRUCTURE"))
        item.kind = K::bodystructure;
    else if (c.keyword("UID"))
        item.kind = K::uid;
    else if (c.keyword("MODSEQ"))
        item.kind = K::modseq;
    else if (c.keyword("BODY.PEEK")) {
        item.kind = K::section;
        item.peek = true;
        if (!parse_section(c, item))
            return std::nullopt;
    } else if (c.keyword("BODY")) {
        if (c.peek() != '[') {
            item.kind = K::body;
            return item;
        }
        item.kind = K::section;
        if (!parse_section(c, item))
            return std::nullopt;
    } else {
        return std::nullopt;
    }
    return item;
}

// The section as the response names it: "1.HEADER.FIELDS (FROM TO)".
void normalize_spec(Section& s)
{
    std::string spec;
    for (size_t i = 0; i < s.part.size(); ++i) {
        if (i)
            spec += '.';
        spec += std::to_string(s.part[i]);
    }
    char const* names[] = { "", "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT", "MIME" };
    if (s.text != Section::Text::none) {
        if (!spec.empty())
            spec += '.';
        spec += names[static_cast<int>(s.text)];
    }
    if (!s.fields.empty()) {
        spec += " (";
        for (size_t i = 0; i < s.fields.size(); ++i) {
            if (i)
                spec += ' ';
            bool atom = true;
            for (char ch : s.fields[i])
                atom = atom && is_atom_char(ch);
            spec += atom ? s.fields[i] : quote(s.fields[i]);
        }
        spec += ')';
    }
    s.spec = std::move(spec);
}

std::optional<SearchKey> parse_search_key(Cursor& c, int depth);

bool parse_astring_arg(Cursor& c, std::string& out)
{
    if (!c.sp())
        return false;
    auto s = c.astring();
    if (!s)
        return false;
    out = std::move(*s);
    return true;
}

bool parse_date_arg(Cursor& c, time_t& out)
{
    std::string text;
    if (!parse_astring_arg(c, text))
        return false;
    auto date = parse_search_date(text);
    if (!date)
        return false;
    out = *date;
    return true;
}

using Op = SearchKey::Op;

// Reads a search key's arguments into k, whose op, text and negate come from its KeyRule.
using KeyArgParser = bool (*)(Cursor& c, int depth, SearchKey& k);

bool takes_no_argument(Cursor&, int, SearchKey&)
{
    return true;
}

// SP astring: the value to look for in the field the key names (FROM, TO, ...).
bool field_value_arg(Cursor& c, int, SearchKey& k)
{
    return parse_astring_arg(c, k.text2);
}

// SP astring: the text BODY and TEXT look for.
bool text_arg(Cursor& c, int, SearchKey& k)
{
    return parse_astring_arg(c, k.text);
}

bool date_arg(Cursor& c, int, SearchKey& k)
{
    return parse_date_arg(c, k.date);
}

// HEADER: SP field-name SP value; the field name must not be empty.
bool field_name_and_value_args(Cursor& c, int, SearchKey& k)
{
    return parse_astring_arg(c, k.text) && parse_astring_arg(c, k.text2) && !k.text.empty();
}

// KEYWORD and UNKEYWORD: SP flag-keyword.
bool flag_keyword_arg(Cursor& c, int, SearchKey& k)
{
    if (!c.sp())
        return false;
    auto word = c.atom();
    if (!word)
        return false;
    k.text = *word;
    return true;
}

// LARGER and SMALLER: SP number.
bool size_arg(Cursor& c, int, SearchKey& k)
{
    auto n = c.sp() ? c.number() : std::nullopt;
    if (!n)
        return false;
    k.number = *n;
    return true;
}

bool sequence_set(Cursor& c, SearchKey& k)
{
    auto set = c.seq_set();
    if (!set)
        return false;
    k.set = std::move(*set);
    return true;
}

bool uid_set_arg(Cursor& c, int, SearchKey& k)
{
    return c.sp() && sequence_set(c, k);
}

// A search-key one level deeper, appended to k's children.
bool append_child_key(Cursor& c, int depth, SearchKey& k)
{
    auto child = parse_search_key(c, depth + 1);
    if (!child)
        return false;
    k.children.push_back(std::move(*child));
    return true;
}

// NOT: SP search-key.
bool child_key_arg(Cursor& c, int depth, SearchKey& k)
{
    return c.sp() && append_child_key(c, depth, k);
}

// OR: SP search-key SP search-key.
bool two_child_keys_args(Cursor& c, int depth, SearchKey& k)
{
    for (int i = 0; i < 2; ++i)
        if (!child_key_arg(c, depth, k))
            return false;
    return true;
}

// MODSEQ (RFC 7162 3.1.5): SP [entry-name SP entry-type SP] mod-sequence-value.
bool modseq_args(Cursor& c, int, SearchKey& k)
{
    if (!c.sp())
        return false;
    if (c.peek() == '"') { // entry name and type: accepted, not used
        if (!c.string() || !c.sp() || !c.atom() || !c.sp())
            return false;
    }
    auto n = c.number64();
    if (!n)
        return false;
    k.number = *n;
    return true;
}

struct KeyRule {
    std::string_view word;
    Op op;
    bool negate; // UN... keys
    KeyArgParser args;
    char const* text = ""; // the flag or header field the key itself implies
};

// The search keys of RFC 3501 6.4.4 (and MODSEQ), one row each, so the grammar reads whole.
constexpr KeyRule kKeyRules[] = {
    { "ANSWERED", Op::flag, false, takes_no_argument, "\\Answered" },
    { "DELETED", Op::flag, false, takes_no_argument, "\\Deleted" },
    { "DRAFT", Op::flag, false, takes_no_argument, "\\Draft" },
    { "FLAGGED", Op::flag, false, takes_no_argument, "\\Flagged" },
    { "SEEN", Op::flag, false, takes_no_argument, "\\Seen" },
    { "UNANSWERED", Op::flag, true, takes_no_argument, "\\Answered" },
    { "UNDELETED", Op::flag, true, takes_no_argument, "\\Deleted" },
    { "UNDRAFT", Op::flag, true, takes_no_argument, "\\Draft" },
    { "UNFLAGGED", Op::flag, true, takes_no_argument, "\\Flagged" },
    { "UNSEEN", Op::flag, true, takes_no_argument, "\\Seen" },
    { "BCC", Op::header, false, field_value_arg, "Bcc" },
    { "CC", Op::header, false, field_value_arg, "Cc" },
    { "FROM", Op::header, false, field_value_arg, "From" },
    { "SUBJECT", Op::header, false, field_value_arg, "Subject" },
    { "TO", Op::header, false, field_value_arg, "To" },
    { "BEFORE", Op::before, false, date_arg },
    { "ON", Op::on, false, date_arg },
    { "SINCE", Op::since, false, date_arg },
    { "SENTBEFORE", Op::sent_before, false, date_arg },
    { "SENTON", Op::sent_on, false, date_arg },
    { "SENTSINCE", Op::sent_since, false, date_arg },
    { "ALL", Op::all, false, takes_no_argument },
    { "NEW", Op::new_, false, takes_no_argument },
    { "OLD", Op::old, false, takes_no_argument },
    { "RECENT", Op::recent, false, takes_no_argument },
    { "UNKEYWORD", Op::flag, true, flag_keyword_arg },
    { "KEYWORD", Op::flag, false, flag_keyword_arg },
    { "HEADER", Op::header, false, field_name_and_value_args },
    { "BODY", Op::body, false, text_arg },
    { "TEXT", Op::text, false, text_arg },
    { "LARGER", Op::larger, false, size_arg },
    { "SMALLER", Op::smaller, false, size_arg },
    { "UID", Op::uid_set, false, uid_set_arg },
    { "NOT", Op::not_, false, child_key_arg },
    { "OR", Op::or_, false, two_child_keys_args },
    { "MODSEQ", Op::modseq, false, modseq_args },
};

// After "(": search-key *(SP search-key) ")", all of which must match.
std::optional<SearchKey> parse_key_list(Cursor& c, int depth)
{
    SearchKey k;
    k.op = Op::and_;
    while (true) {
        if (!append_child_key(c, depth, k))
            return std::nullopt;
        if (c.eat(')'))
            return k;
        if (!c.sp())
            return std::nullopt;
    }
}

// search-key (RFC 3501 6.4.4): a parenthesised list, a sequence set or a row of kKeyRules.
std::optional<SearchKey> parse_search_key_inner(Cursor& c, int depth)
{
    if (c.eat('('))
        return parse_key_list(c, depth);
    SearchKey k;
    if (c.peek() == '*' || (c.peek() >= '1' && c.peek() <= '9')) {
        k.op = Op::set;
        if (!sequence_set(c, k))
            return std::nullopt;
        return k;
    }
    for (auto const& rule : kKeyRules) {
        if (!c.keyword(rule.word))
            continue;
        k.op = rule.op;
        k.text = rule.text;
        k.negate = rule.negate;
        if (!rule.args(c, depth, k))
            return std::nullopt;
        return k;
    }
    return std::nullopt;
}

std::optional<SearchKey> parse_search_key(Cursor& c, int depth)
{
    if (depth > 100) // nesting is bounded: the evaluation recurses
        return std::nullopt;
    return parse_search_key_inner(c, depth);
}

} // namespace

std::optional<FetchArgs> parse_fetch(Cursor& c)
{
    FetchArgs args;
    auto set = c.sp() ? c.seq_set() : std::nullopt;
    if (!set || !c.sp())
        return std::nullopt;
    args.set = std::move(*set);
    using K = FetchItem::Kind;
    auto add = [&](std::initializer_list<K> kinds) {
        for (K k : kinds) {
            FetchItem item;
            item.kind = k;
            args.items.push_back(item);
        }
    };
    if (c.keyword("ALL")) {
        add({ K::flags, K::internaldate, K::rfc822_size, K::envelope });
    } else if (c.keyword("FAST")) {
        add({ K::flags, K::internaldate, K::rfc822_size });
    } else if (c.keyword("FULL")) {
        add({ K::flags, K::internaldate, K::rfc822_size, K::envelope, K::body });
    } else if (c.eat('(')) {
        while (true) {
            auto item = parse_fetch_att(c);
            if (!item)
                return std::nullopt;
            args.items.push_back(std::move(*item));
            if (c.eat(')'))
                break;
            if (!c.sp())
                return std::nullopt;
        }
    } else {
        auto item = parse_fetch_att(c);
        if (!item)
            return std::nullopt;
        args.items.push_back(std::move(*item));
    }
    for (auto& item : args.items)
        if (item.kind == K::section)
            normalize_spec(item.section);
    if (c.sp()) {
        if (!c.eat('(') || !c.keyword("CHANGEDSINCE") || !c.sp())
            return std::nullopt;
        auto n = c.number64();
        if (!n || !c.eat(')'))
            return std::nullopt;
        args.changed_since = *n;
    }
    if (!c.at_end())
        return std::nullopt;
    return args;
}

std::optional<StoreArgs> parse_store(Cursor& c)
{
    StoreArgs args;
    auto set = c.sp() ? c.seq_set() : std::nullopt;
    if (!set || !c.sp())
        return std::nullopt;
    args.set = std::move(*set);
    if (c.eat('(')) {
        if (!c.keyword("UNCHANGEDSINCE") || !c.sp())
            return std::nullopt;
        auto n = c.number64();
        if (!n || !c.eat(')') || !c.sp())
            return std::nullopt;
        args.unchanged_since = *n;
    }
    if (c.eat('+'))
        args.mode = StoreArgs::Mode::add;
    else if (c.eat('-'))
        args.mode = StoreArgs::Mode::remove;
    if (c.keyword("FLAGS.SILENT"))
        args.silent = true;
    else if (!c.keyword("FLAGS"))
        return std::nullopt;
    if (!c.sp())
        return std::nullopt;
    if (c.peek() == '(') {
        auto list = c.flag_list();
        if (!list)
            return std::nullopt;
        args.flags = std::move(*list);
    } else {
        while (true) {
            auto f = c.flag();
            if (!f)
                return std::nullopt;
            args.flags.push_back(std::move(*f));
            if (!c.sp())
                break;
        }
    }
    if (!c.at_end())
        return std::nullopt;
    return args;
}

std::optional<SearchArgs> parse_search(Cursor& c)
{
    SearchArgs args;
    args.key.op = SearchKey::Op::and_;
    if (!c.sp())
        return std::nullopt;
    if (c.keyword("CHARSET")) {
        std::string charset;
        if (!parse_astring_arg(c, charset) || !c.sp())
            return std::nullopt;
        for (char& ch : charset)
            if (ch >= 'a' && ch <= 'z')
                ch = static_cast<char>(ch - 32);
        args.charset_ok = charset == "UTF-8" || charset == "US-ASCII";
    }
    while (true) {
        auto key = parse_search_key(c, 0);
        if (!key)
            return std::nullopt;
        args.key.children.push_back(std::move(*key));
        if (c.at_end())
            return args;
        if (!c.sp())
            return std::nullopt;
    }
}

std::optional<time_t> parse_search_date(std::string_view text)
{
    size_t d1 = text.find('-');
    if (d1 == std::string_view::npos || d1 + 4 >= text.size() || text[d1 + 4] != '-')
        return std::nullopt;
    int day = 0;
    int year = 0;
    auto month = month_of(text.substr(d1 + 1, 3));
    if (!digits(text.substr(0, d1), day) || !digits(text.substr(d1 + 5), year) || !month || day < 1
        || day > 31 || year < 1 || year > 9999 || text.size() - d1 - 5 != 4)
        return std::nullopt;
    return static_cast<time_t>(days_from_civil(year, *month, static_cast<unsigned>(day)) * 86400);
}

std::optional<time_t> parse_date_time(std::string_view text)
{
    // date-day-fixed "-" date-month "-" date-year SP time SP zone
    if (text.size() != 26 || text[11] != ' ' || text[20] != ' ')
        return std::nullopt;
    std::string day(text.substr(0, 2));
    if (day[0] == ' ')
        day.erase(0, 1);
    auto date = parse_search_date(day + std::string(text.substr(2, 9)));
    int h = 0;
    int m = 0;
    int s = 0;
    int zone = 0;
    if (!date || text[14] != ':' || text[17] != ':' || !digits(text.substr(12, 2), h)
        || !digits(text.substr(15, 2), m) || !digits(text.substr(18, 2), s)
        || (text[21] != '+' && text[21] != '-') || !digits(text.substr(22, 4), zone) || h > 23
        || m > 59 || s > 60)
        return std::nullopt;
    int offset = (zone / 100) * 3600 + (zone % 100) * 60;
    if (text[21] == '-')
        offset = -offset;
    return *date + time_t { h } * 3600 + time_t { m } * 60 + s - offset;
}

} // namespace imapd
