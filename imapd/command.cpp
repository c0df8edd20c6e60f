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

// BODY[...] after "BODY" or "BODY.PEEK": section and partial.
bool parse_section(Cursor& c, FetchItem& item)
{
    if (!c.eat('['))
        return false;
    Section& s = item.section;
    bool need_text = false;
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
    if (!s.part.empty() && !need_text && c.peek() != ']')
        return false;
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
    if (s.text == Section::Text::header_fields || s.text == Section::Text::header_fields_not) {
        if (!c.sp() || !c.eat('('))
            return false;
        while (true) {
            auto name = c.astring();
            if (!name || name->empty())
                return false;
            s.fields.push_back(std::move(*name));
            if (c.eat(')'))
                break;
            if (!c.sp())
                return false;
        }
    }
    if (!c.eat(']'))
        return false;
    if (c.eat('<')) {
        auto origin = c.number();
        if (!origin || !c.eat('.'))
            return false;
        auto count = c.nz_number();
        if (!count || !c.eat('>'))
            return false;
        item.origin = origin;
        item.count = *count;
    }
    return true;
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

// One branch (or table row) per search key of RFC 3501 6.4.4, kept in one function so the
// grammar reads whole.
std::optional<SearchKey> parse_search_key_inner(Cursor& c, int depth)
{
    using Op = SearchKey::Op;
    SearchKey k;
    auto flag_key = [&](char const* flag, bool negate) {
        k.op = Op::flag;
        k.text = flag;
        k.negate = negate;
        return k;
    };
    if (c.eat('(')) {
        k.op = Op::and_;
        while (true) {
            auto child = parse_search_key(c, depth + 1);
            if (!child)
                return std::nullopt;
            k.children.push_back(std::move(*child));
            if (c.eat(')'))
                return k;
            if (!c.sp())
                return std::nullopt;
        }
    }
    if (c.peek() == '*' || (c.peek() >= '1' && c.peek() <= '9')) {
        auto set = c.seq_set();
        if (!set)
            return std::nullopt;
        k.op = Op::set;
        k.set = std::move(*set);
        return k;
    }
    struct Simple {
        char const* word;
        char const* flag;
        bool negate;
    };
    static constexpr Simple kFlags[]
        = { { "ANSWERED", "\\Answered", false }, { "DELETED", "\\Deleted", false },
              { "DRAFT", "\\Draft", false }, { "FLAGGED", "\\Flagged", false },
              { "SEEN", "\\Seen", false }, { "UNANSWERED", "\\Answered", true },
              { "UNDELETED", "\\Deleted", true }, { "UNDRAFT", "\\Draft", true },
              { "UNFLAGGED", "\\Flagged", true }, { "UNSEEN", "\\Seen", true } };
    for (auto const& f : kFlags)
        if (c.keyword(f.word))
            return flag_key(f.flag, f.negate);
    struct Header {
        char const* word;
        char const* field;
    };
    static constexpr Header kHeaders[] = { { "BCC", "Bcc" }, { "CC", "Cc" }, { "FROM", "From" },
        { "SUBJECT", "Subject" }, { "TO", "To" } };
    for (auto const& h : kHeaders) {
        if (c.keyword(h.word)) {
            k.op = Op::header;
            k.text = h.field;
            if (!parse_astring_arg(c, k.text2))
                return std::nullopt;
            return k;
        }
    }
    struct Dated {
        char const* word;
        Op op;
    };
    static constexpr Dated kDates[] = { { "BEFORE", Op::before }, { "ON", Op::on },
        { "SINCE", Op::since }, { "SENTBEFORE", Op::sent_before }, { "SENTON", Op::sent_on },
        { "SENTSINCE", Op::sent_since } };
    for (auto const& d : kDates) {
        if (c.keyword(d.word)) {
            k.op = d.op;
            if (!parse_date_arg(c, k.date))
                return std::nullopt;
            return k;
        }
    }
    if (c.keyword("ALL"))
        return k;
    if (c.keyword("NEW")) {
        k.op = Op::new_;
        return k;
    }
    if (c.keyword("OLD")) {
        k.op = Op::old;
        return k;
    }
    if (c.keyword("RECENT")) {
        k.op = Op::recent;
        return k;
    }
    bool const unkeyword = c.keyword("UNKEYWORD");
    if (unkeyword || c.keyword("KEYWORD")) {
        bool const negate = unkeyword;
        if (!c.sp())
            return std::nullopt;
        auto word = c.atom();
        if (!word)
            return std::nullopt;
        k.op = Op::flag;
        k.text = *word;
        k.negate = negate;
        return k;
    }
    if (c.keyword("HEADER")) {
        k.op = Op::header;
        if (!parse_astring_arg(c, k.text) || !parse_astring_arg(c, k.text2) || k.text.empty())
            return std::nullopt;
        return k;
    }
    bool const body = c.keyword("BODY");
    if (body || c.keyword("TEXT")) {
        k.op = body ? Op::body : Op::text;
        if (!parse_astring_arg(c, k.text))
            return std::nullopt;
        return k;
    }
    bool const larger = c.keyword("LARGER");
    if (larger || c.keyword("SMALLER")) {
        k.op = larger ? Op::larger : Op::smaller;
        auto n = c.sp() ? c.number() : std::nullopt;
        if (!n)
            return std::nullopt;
        k.number = *n;
        return k;
    }
    if (c.keyword("UID")) {
        auto set = c.sp() ? c.seq_set() : std::nullopt;
        if (!set)
            return std::nullopt;
        k.op = Op::uid_set;
        k.set = std::move(*set);
        return k;
    }
    if (c.keyword("NOT")) {
        auto child = c.sp() ? parse_search_key(c, depth + 1) : std::nullopt;
        if (!child)
            return std::nullopt;
        k.op = Op::not_;
        k.children.push_back(std::move(*child));
        return k;
    }
    if (c.keyword("OR")) {
        auto a = c.sp() ? parse_search_key(c, depth + 1) : std::nullopt;
        if (!a)
            return std::nullopt;
        auto b = c.sp() ? parse_search_key(c, depth + 1) : std::nullopt;
        if (!b)
            return std::nullopt;
        k.op = Op::or_;
        k.children.push_back(std::move(*a));
        k.children.push_back(std::move(*b));
        return k;
    }
    if (c.keyword("MODSEQ")) {
        if (!c.sp())
            return std::nullopt;
        if (c.peek() == '"') { // entry name and type: accepted, not used
            if (!c.string() || !c.sp() || !c.atom() || !c.sp())
                return std::nullopt;
        }
        auto n = c.number64();
        if (!n)
            return std::nullopt;
        k.op = Op::modseq;
        k.number = *n;
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
