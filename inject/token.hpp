// token - RFC 5322/822 address lists as qmail-inject sees them: tokens, the address-list
// structure (groups, comments, quoted strings, angle and route addresses, bare boxes) and
// the folded text of a rewritten field (qmail's token822).
//
//     auto tokens = inject::tokenize("Joe <joe@x>, list: a, b;");
//     if (!tokens) return tokens.error();                  // "unterminated quoted string", ...
//     auto out = inject::parse_address_list(source, *tokens, [](inject::Tokens& address) {
//         // rewrite the address tokens in place (inject/rewrite.hpp)
//     });
//     if (!out) return out.error();                        // "unterminated group", ...
//     std::string field = inject::unparse_field("To", *out); // "To: Joe <joe@x>, ...\n"
//
// Errors are Error::plain with static texts that name the problem. Nothing here does I/O
// (this is what fuzz/inject_fuzz.cpp exercises).
#pragma once

#include "error.hpp"

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace inject {

enum class TokenType {
    atom, // text: the atom (atext only; other atoms become quoted)
    quoted, // text: the content, quotes and backslashes removed
    literal, // text: the content of [...], brackets and backslashes removed
    comment, // text: what stood between the outer parentheses, escapes and nesting kept
    phrase, // text: a display or group name exactly as written (made by the parser)
    comma,
    at,
    dot,
    left_angle,
    right_angle,
    semicolon,
    colon,
};

struct Token {
    TokenType type;
    std::string text;
    // Where the token stands in the tokenized text, [begin, end).
    std::size_t begin = 0;
    std::size_t end = 0;
};

using Tokens = std::vector<Token>;

// The line length qmail-inject folds address fields at.
inline constexpr std::size_t kLineLength = 80;

// Splits a field value into tokens. Spaces, tabs and line breaks separate tokens; a line
// break (any CR or LF) inside a quoted string, comment or literal is removed. Refuses NUL
// bytes, unbalanced ( ) [ ] and quotes, a backslash at the very end or before a line
// break.
mta::Result<Tokens> tokenize(std::string_view text);

// atom, quoted or literal.
bool is_word(TokenType type);

// Called once per address found, with the address's tokens (no comments); it may change
// them (the caller's rewriting).
using AddressFn = std::function<void(Tokens& address)>;

// Walks an address list left to right: "a@b, Name <c@d> (comment), group: e, f;". Returns
// the tokens to print, with each address as on_address left it. Display and group names
// become one phrase token holding the source text (line breaks removed); comments inside
// an address are moved after it; words separated only by spaces ("a@b c@d") are separate
// addresses, so a comma is put between them. source is the text given to tokenize().
mta::Result<Tokens> parse_address_list(
    std::string_view source, Tokens const& tokens, AddressFn const& on_address);

// "Name: tokens\n", folded after commas so that lines stay within line_length where
// possible (continuation lines start with two spaces), as qmail's token822_unparse;
// line_length 0 means no folding.
std::string unparse_field(
    std::string_view name, Tokens const& tokens, std::size_t line_length = kLineLength);

// The address as the envelope carries it: words and specials joined, quotes removed,
// comments dropped ("\"joe smith\"@x" -> "joe smith@x").
std::string address_text(Tokens const& address);

} // namespace inject
