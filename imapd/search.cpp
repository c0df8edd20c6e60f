// SEARCH (RFC 3501 6.4.4, RFC 7162 MODSEQ): the evaluation of a parsed key per message,
// from the flags, the cache (size, dates, the common header fields) or the message file.
#include "session.hpp"

#include "header.hpp"

#include <algorithm>

namespace imapd {

namespace {

char fold(char c)
{
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

bool contains_folded(std::string_view hay, std::string_view needle)
{
    if (needle.empty())
        return true;
    auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(),
        [](char a, char b) { return fold(a) == fold(b); });
    return it != hay.end();
}

// Calls fn(name, value) for each line of search_headers() until it returns true.
template <class Fn> bool any_cached_field(std::string_view headers, Fn fn)
{
    while (!headers.empty()) {
        size_t nl = headers.find('\n');
        std::string_view line = headers.substr(0, nl);
        headers = nl == std::string_view::npos ? std::string_view() : headers.substr(nl + 1);
        size_t colon = line.find(": ");
        if (colon != std::string_view::npos && fn(line.substr(0, colon), line.substr(colon + 2)))
            return true;
    }
    return false;
}

int64_t day_of(int64_t seconds)
{
    return (seconds >= 0 ? seconds : seconds - 86399) / 86400;
}

bool uses_modseq(SearchKey const& key)
{
    if (key.op == SearchKey::Op::modseq)
        return true;
    return std::any_of(key.children.begin(), key.children.end(), uses_modseq);
}

bool compare_day(SearchKey::Op op, int64_t day, int64_t want)
{
    using Op = SearchKey::Op;
    if (op == Op::before || op == Op::sent_before)
        return day < want;
    if (op == Op::on || op == Op::sent_on)
        return day == want;
    return day >= want;
}

} // namespace

bool Session::matches(SearchKey const& key, size_t index)
{
    using Op = SearchKey::Op;
    bool result = false;
    switch (key.op) {
    case Op::and_:
        result = std::all_of(key.children.begin(), key.children.end(),
            [&](SearchKey const& k) { return matches(k, index); });
        break;
    case Op::or_:
        result = matches(key.children[0], index) || matches(key.children[1], index);
        break;
    case Op::not_:
        result = !matches(key.children[0], index);
        break;
    case Op::larger:
    case Op::smaller:
    case Op::before:
    case Op::on:
    case Op::since:
        result = matches_meta(key, m_folder->messages()[index]);
        break;
    case Op::header:
    case Op::body:
    case Op::text:
    case Op::sent_before:
    case Op::sent_on:
    case Op::sent_since:
        result = matches_content(key, m_folder->messages()[index]);
        break;
    default:
        result = matches_state(key, index);
    }
    return key.negate ? !result : result;
}

// ALL, sequence and UID sets, flags, NEW, OLD, RECENT and MODSEQ: from the view alone.
bool Session::matches_state(SearchKey const& key, size_t index)
{
    using Op = SearchKey::Op;
    auto const& view = m_folder->messages();
    Message const& m = view[index];
    switch (key.op) {
    case Op::all:
        return true;
    case Op::set:
        return key.set.contains(
            static_cast<uint32_t>(index + 1), static_cast<uint32_t>(view.size()));
    case Op::uid_set:
        return key.set.contains(m.uid, view.empty() ? 0 : view.back().uid);
    case Op::flag: {
        bool ok = true;
        std::string letter = flag_letters({ key.text }, false, ok);
        return !letter.empty() && m.flags.find(letter[0]) != std::string::npos;
    }
    case Op::new_:
        return m.recent && m.flags.find('S') == std::string::npos;
    case Op::old:
        return !m.recent;
    case Op::recent:
        return m.recent;
    case Op::modseq:
        return m.modseq >= key.number;
    default:
        return false;
    }
}

// LARGER, SMALLER, BEFORE, ON and SINCE: size and internal date (the cache).
bool Session::matches_meta(SearchKey const& key, Message const& m)
{
    using Op = SearchKey::Op;
    auto info = meta(m);
    if (!info)
        return false;
    if (key.op == Op::larger || key.op == Op::smaller)
        return key.op == Op::larger ? info->size > key.number : info->size < key.number;
    return compare_day(key.op, day_of(info->date), day_of(key.date));
}

// HEADER, BODY, TEXT and SENT*: the cached header fields when they are enough, else the
// message itself.
bool Session::matches_content(SearchKey const& key, Message const& m)
{
    using Op = SearchKey::Op;
    bool const sent
        = key.op == Op::sent_before || key.op == Op::sent_on || key.op == Op::sent_since;
    std::optional<std::string> date;
    if (sent || (key.op == Op::header && is_cached_field(key.text))) {
        if (auto headers = cached_headers(m)) {
            bool const found
                = any_cached_field(*headers, [&](std::string_view name, std::string_view value) {
                      if (!sent)
                          return mta::field_name_equals(name, key.text)
                              && contains_folded(value, key.text2);
                      if (mta::field_name_equals(name, "Date") && !date)
                          date = std::string(value);
                      return false;
                  });
            if (!sent)
                return found;
            auto when = date ? parse_rfc822_date(*date) : std::nullopt;
            return when && compare_day(key.op, day_of(*when), day_of(key.date));
        }
    }
    Loaded const* l = load(m);
    if (!l)
        return false;
    std::string_view text = l->text;
    if (key.op == Op::body)
        return contains_folded(text.substr(l->root.body_begin), key.text);
    if (key.op == Op::text)
        return contains_folded(text, key.text);
    if (key.op == Op::header) {
        mta::HeaderReader reader(text.substr(0, l->root.body_begin));
        while (auto field = reader.next())
            if (mta::field_name_equals(field->name, key.text)
                && contains_folded(mta::unfold(field->raw_value), key.text2))
                return true;
        return false;
    }
    auto value = header_value(text, l->root, "Date");
    auto when = value ? parse_rfc822_date(*value) : std::nullopt;
    return when && compare_day(key.op, day_of(*when), day_of(key.date));
}

void Session::cmd_search(std::string const& tag, Cursor& c, bool uid)
{
    auto args = parse_search(c);
    if (!args)
        return tagged(tag, Reply::bad, "invalid SEARCH arguments");
    if (!args->charset_ok)
        return tagged(tag, Reply::no, "[BADCHARSET (UTF-8 US-ASCII)] unsupported charset");
    bool const modseq = uses_modseq(args->key);
    if (modseq)
        m_condstore = true;
    auto const& view = m_folder->messages();
    std::string line = "* SEARCH";
    uint64_t highest = 0;
    for (size_t i = 0; i < view.size(); ++i) {
        if (view[i].expunged || !matches(args->key, i))
            continue;
        line += ' ' + std::to_string(uid ? view[i].uid : i + 1);
        highest = std::max(highest, view[i].modseq);
    }
    if (modseq && highest)
        line += " (MODSEQ " + std::to_string(highest) + ")";
    send(line + "\r\n");
    tagged(tag, Reply::ok, uid ? "UID SEARCH completed" : "SEARCH completed");
}

} // namespace imapd
