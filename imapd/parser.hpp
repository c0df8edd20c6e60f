// parser - the IMAP4rev1 command syntax (RFC 3501 section 9, RFC 7888 LITERAL+): reading
// one complete command with its literals, and a cursor over it for atoms, strings,
// numbers, sequence sets and flag lists; quoting for responses.
//
//     imapd::CommandReader reader(in, out);
//     std::string text;
//     auto got = reader.read(text);                 // sends "+ OK" for {n} literals
//     if (!got) return got.error();                 // I/O error or timeout
//     if (*got != imapd::ReadStatus::command) ...   // eof, too long, literal too big
//     imapd::Cursor c(text);
//     auto tag = c.tag();                           // then c.sp(), c.atom(), ...
//
// The command text is what the client sent without the final CRLF; each literal stays
// inline as "{n}\r\n" plus its n bytes, so the Cursor reads it like the wire. Cursor
// functions return std::nullopt (or false) on a syntax error and leave the position
// undefined: the caller answers BAD. Nothing here prints or exits.
#pragma once

#include "error.hpp"

#include "buffer.hpp"
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imapd {

inline constexpr size_t kMaxLine = size_t { 64 } * 1024; // one line of a command
inline constexpr size_t kMaxLiteral = size_t { 64 } * 1024 * 1024; // APPEND message
inline constexpr size_t kMaxSmallLiteral = size_t { 64 } * 1024; // literals of other commands
inline constexpr size_t kMaxCommand = size_t { 1024 } * 1024; // all but an APPEND literal

enum class ReadStatus {
    command, // a whole command
    eof, // end of input before a command
    too_long, // a line or the command over its limit; the rest was discarded
    literal_too_big, // a literal over its limit: refused ({n}) or read and discarded ({n+})
};

// A literal announcement at the end of a line: "{123}" or "{123+}".
struct LiteralMark {
    uint64_t size = 0;
    bool synchronizing = true;
    size_t start = 0; // where '{' is
};
std::optional<LiteralMark> literal_at_end(std::string_view line);

class CommandReader {
public:
    // big_append: APPEND may send a literal of kMaxLiteral (after login only).
    CommandReader(mta::Reader& in, mta::Writer& out, bool big_append = true)
        : m_in(in)
        , m_out(out)
        , m_big_append(big_append)
    {
    }
    // Reads one command into text. For too_long and literal_too_big, text holds the start
    // of the command (for its tag).
    mta::Result<ReadStatus> read(std::string& text);

private:
    mta::Status discard(uint64_t bytes);
    mta::Result<ReadStatus> skip_long_line(std::string const& line, bool failed, std::string& text);
    mta::Result<bool> read_literal(LiteralMark const& mark, std::string& text);
    mta::Reader& m_in;
    mta::Writer& m_out;
    bool m_big_append;
};

// A sequence set: ranges with '*' stored as 0 until resolved against the largest value.
struct SeqRange {
    uint32_t low = 0;
    uint32_t high = 0;
};
class SeqSet {
public:
    static std::optional<SeqSet> parse(std::string_view text);
    // True when n lies in the set; '*' means largest.
    bool contains(uint32_t n, uint32_t largest) const;
    std::vector<SeqRange> const& ranges() const { return m_ranges; }
    // "1:3,5" of sorted values (UIDPLUS responses).
    static std::string format(std::vector<uint32_t> values);

private:
    std::vector<SeqRange> m_ranges;
};

class Cursor {
public:
    explicit Cursor(std::string_view text)
        : m_text(text)
    {
    }
    bool at_end() const { return m_pos >= m_text.size(); }
    char peek() const { return at_end() ? '\0' : m_text[m_pos]; }
    bool eat(char c);
    bool sp() { return eat(' '); }
    // A case-insensitive keyword followed by a non-atom character or the end.
    bool keyword(std::string_view word);
    std::optional<std::string> tag();
    std::optional<std::string> atom(); // ATOM-CHAR+, as sent
    std::optional<std::string> string(); // quoted or literal
    std::optional<std::string> astring();
    std::optional<std::string> list_mailbox(); // 1*list-char or string
    std::optional<uint32_t> number(); // 0 .. 2^32-1
    std::optional<uint32_t> nz_number();
    std::optional<uint64_t> number64();
    std::optional<SeqSet> seq_set();
    std::optional<std::string> flag(); // "\Seen", "\*" or a keyword atom
    std::optional<std::vector<std::string>> flag_list(); // "(...)"
    size_t position() const { return m_pos; }
    std::string_view rest() const { return m_text.substr(m_pos); }

private:
    std::optional<std::string> quoted();
    std::optional<std::string> literal();
    std::string_view m_text;
    size_t m_pos = 0;
};

bool is_atom_char(char c);
// ASCII letters to upper case (command names, keywords); other bytes unchanged.
std::string upper(std::string s);
// A string for a response: quoted when possible, a literal otherwise.
std::string quote(std::string_view text);
std::string nstring(std::optional<std::string_view> text);
// IMAP "modified UTF-7" mailbox names (RFC 3501 5.1.3) are passed through as they are;
// this checks that a name from a client is usable as a Maildir++ folder name.
bool valid_mailbox_name(std::string_view name);

} // namespace imapd
