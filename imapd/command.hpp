// command - the arguments of FETCH, STORE and SEARCH (RFC 3501 6.4, RFC 7162 CONDSTORE)
// parsed into plain structures, so the session only executes them and the fuzzer and unit
// tests can drive the parsers alone.
//
//     imapd::Cursor c(" 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (FROM)]<0.100>)");
//     auto args = imapd::parse_fetch(c);            // std::nullopt: BAD syntax
//
// Each parse function starts at the space before its arguments and requires the command
// to end where they end.
#pragma once

#include "parser.hpp"

#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace imapd {

struct Section {
    enum class Text { none, header, header_fields, header_fields_not, text, mime };
    std::vector<uint32_t> part; // "1.2" -> {1, 2}
    Text text = Text::none;
    std::vector<std::string> fields; // for HEADER.FIELDS[.NOT], as sent
    std::string spec; // "1.HEADER.FIELDS (FROM)", for the response
};

struct FetchItem {
    enum class Kind {
        envelope,
        flags,
        internaldate,
        rfc822,
        rfc822_header,
        rfc822_size,
        rfc822_text,
        body, // BODY without a section: the non-extensible structure
        bodystructure,
        section, // BODY[...] or BODY.PEEK[...]
        uid,
        modseq,
    };
    Kind kind = Kind::flags;
    bool peek = false;
    Section section;
    std::optional<uint32_t> origin; // <origin.count>
    uint32_t count = 0;
};

struct FetchArgs {
    SeqSet set;
    std::vector<FetchItem> items;
    std::optional<uint64_t> changed_since;
};
std::optional<FetchArgs> parse_fetch(Cursor& c);

struct StoreArgs {
    SeqSet set;
    enum class Mode { replace, add, remove } mode = Mode::replace;
    bool silent = false;
    std::vector<std::string> flags;
    std::optional<uint64_t> unchanged_since;
};
std::optional<StoreArgs> parse_store(Cursor& c);

struct SearchKey {
    enum class Op {
        all,
        and_, // children
        or_, // two children
        not_, // one child
        set, // sequence numbers
        uid_set,
        flag, // text = flag name ("\Seen", keyword); negate for UN...
        new_,
        old,
        recent,
        header, // text = field name, text2 = value; "" field = any of the address fields
        body,
        text,
        larger,
        smaller,
        before,
        on,
        since,
        sent_before,
        sent_on,
        sent_since,
        modseq,
    };
    Op op = Op::all;
    bool negate = false;
    std::string text;
    std::string text2;
    uint64_t number = 0;
    time_t date = 0; // midnight UTC of the day
    SeqSet set;
    std::vector<SearchKey> children;
};
struct SearchArgs {
    SearchKey key; // and_ of the keys
    bool charset_ok = true; // false: NO [BADCHARSET]
};
std::optional<SearchArgs> parse_search(Cursor& c);

// "1-Feb-1994" -> midnight UTC of that day.
std::optional<time_t> parse_search_date(std::string_view text);
// "17-Jul-1996 02:44:25 -0700" (APPEND) -> the instant.
std::optional<time_t> parse_date_time(std::string_view text);

} // namespace imapd
