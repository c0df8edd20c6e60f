#include "token.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace inject;

namespace {

// Tokens as "type:text" words, for readable tables.
std::string describe_tokens(Tokens const& tokens)
{
    static const char* const kNames[]
        = { "atom", "quoted", "literal", "comment", "phrase", ",", "@", ".", "<", ">", ";", ":" };
    std::string out;
    for (Token const& t : tokens) {
        if (!out.empty())
            out += ' ';
        out += kNames[static_cast<int>(t.type)];
        if (t.type <= TokenType::phrase)
            out += ":" + t.text;
    }
    return out;
}

std::string tokenize_text(std::string_view input)
{
    auto got = tokenize(input);
    return got ? describe_tokens(*got) : std::string("error: ") + got.error().what;
}

// The list printed again unfolded, then " | " and the addresses the callback saw,
// separated by ';'.
std::string reprint(std::string_view input)
{
    auto tokens = tokenize(input);
    if (!tokens)
        return std::string("error: ") + tokens.error().what;
    std::string seen;
    auto out = parse_address_list(input, *tokens,
        [&](Tokens& address) { seen += (seen.empty() ? "" : ";") + address_text(address); });
    if (!out)
        return std::string("error: ") + out.error().what;
    std::string text = unparse_field("To", *out, 0);
    text.pop_back();
    return text + " | " + seen;
}

} // namespace

TEST_CASE("tokenize splits fields into RFC 822 tokens", "[inject][token]")
{
    struct Case {
        std::string_view input;
        std::string_view want;
    };
    std::vector<Case> const cases = {
        { "", "" },
        { "  \t\r\n ", "" },
        { "joe@x.org", "atom:joe @ atom:x . atom:org" },
        { "Joe <joe@x>", "atom:Joe < atom:joe @ atom:x >" },
        { "\"john doe\"@x", "quoted:john doe @ atom:x" },
        { "\"a\\\"b\\\\c\"", "quoted:a\"b\\c" },
        { "\"folded\n line\"", "quoted:folded line" },
        { "\"crlf\r\n\tline\"", "quoted:crlf\tline" },
        { "(a comment)", "comment:a comment" },
        { "(nested (comment) kept)", "comment:nested (comment) kept" },
        { "(escaped \\) paren)", "comment:escaped \\) paren" },
        { "(folded\n comment)", "comment:folded comment" },
        { "[1.2.3.4]", "literal:1.2.3.4" },
        { "[a\\]b]", "literal:a]b" },
        { "list: a, b;", "atom:list : atom:a , atom:b ;" },
        { "<@r1,@r2:u@h>", "< @ atom:r1 , @ atom:r2 : atom:u @ atom:h >" },
        { "a\\ b", "quoted:a b" },
        { "a\x01z", "quoted:a\x01z" },
        { "j\xc3\xb6rg@x", "atom:j\xc3\xb6rg @ atom:x" },
        { "=?utf-8?q?J=C3=B6rg?= <j@x>", "atom:=?utf-8?q?J=C3=B6rg?= < atom:j @ atom:x >" },
        { "a.b", "atom:a . atom:b" },
        { "\"unterminated", "error: unterminated quoted string" },
        { "\"ends in backslash\\", "error: unterminated quoted string" },
        { "(open", "error: unterminated comment" },
        { "(open (nested)", "error: unterminated comment" },
        { "a)", "error: unexpected ')'" },
        { "[1.2.3.4", "error: unterminated domain literal" },
        { "a]", "error: unexpected ']'" },
        { "a\\", "error: backslash at end of field" },
        { "a\\\nb", "error: backslash before a line break" },
        { "\"a\\\r\nb\"", "error: backslash before a line break" },
        { "\"lone\rcr\"", "quoted:lonecr" },
        { std::string_view("a\0b", 3), "error: NUL byte in address field" },
        { std::string_view("\"a\0b\"", 5), "error: NUL byte in address field" },
        { std::string_view("(a\0b)", 5), "error: NUL byte in address field" },
    };
    for (auto const& c : cases) {
        INFO("input: " << c.input);
        CHECK(tokenize_text(c.input) == c.want);
    }
}

TEST_CASE("tokenize records where each token stands", "[inject][token]")
{
    auto tokens = tokenize(" Joe  \"x y\" <a@b>");
    REQUIRE(tokens);
    REQUIRE(tokens->size() == 7);
    CHECK((*tokens)[0].begin == 1);
    CHECK((*tokens)[0].end == 4);
    CHECK((*tokens)[1].begin == 6);
    CHECK((*tokens)[1].end == 11);
    CHECK((*tokens)[6].end == 17);
}

TEST_CASE("parse_address_list finds every address of a list", "[inject][token]")
{
    struct Case {
        std::string_view input;
        std::string_view want; // unparsed without folding | the addresses seen
    };
    std::vector<Case> const cases = {
        { "", "To: | " },
        { "a@b", "To: a@b | a@b" },
        { "a@b, c@d", "To: a@b, c@d | a@b;c@d" },
        { "a", "To: a | a" },
        { "a @ b . c", "To: a@b.c | a@b.c" },
        // illegal spaces between addresses become commas
        { "a@b c@d", "To: a@b, c@d | a@b;c@d" },
        { "joe smith@x", "To: joe, smith@x | joe;smith@x" },
        { "<a@b> c@d", "To: <a@b>, c@d | a@b;c@d" },
        { "<a@b> <c@d>", "To: <a@b>, <c@d> | a@b;c@d" },
        // display names stay as written, comments too
        { "Joe Smith <js@x>", "To: Joe Smith <js@x> | js@x" },
        { "J. Smith <js@x>", "To: J. Smith <js@x> | js@x" },
        { "\"Smith, Joe\" <js@x>", "To: \"Smith, Joe\" <js@x> | js@x" },
        { "(Work) Joe <js@x>", "To: (Work) Joe <js@x> | js@x" },
        { "a@b (Joe)", "To: a@b (Joe) | a@b" },
        { "(Joe) a@b", "To: a@b (Joe) | a@b" },
        { "a (Joe) @b", "To: a@b (Joe) | a@b" },
        { "<a@b (inside)>", "To: <a@b> (inside) | a@b" },
        { "<a@b> (after)", "To: <a@b> (after) | a@b" },
        { "(only a comment)", "To: (only a comment) | " },
        { "<>", "To: <> | " },
        // groups
        { "list: a, b;", "To: list: a, b; | a;b" },
        { "list:;", "To: list: ; | " },
        { "undisclosed-recipients:;", "To: undisclosed-recipients: ; | " },
        { "a, list: b <c@d>;, e", "To: a, list: b <c@d>;, e | a;c@d;e" },
        // route addresses go to the callback whole
        { "<@r1,@r2:u@h>", "To: <@r1, @r2: u@h> | @r1,@r2:u@h" },
        { "Name <@r:u@h>", "To: Name <@r: u@h> | @r:u@h" },
        { "a,,b", "To: a, , b | a;b" },
        // refused
        { "<a@b", "error: unterminated angle address" },
        { "a@b>", "error: unexpected '>'" },
        { "<a <b>>", "error: unexpected '<' inside angle address" },
        { "a;", "error: unexpected ';' outside a group" },
        { "g: h: a;", "error: unexpected ':' inside a group" },
        { "g: a, b", "error: unterminated group" },
        { "\"open", "error: unterminated quoted string" },
    };
    for (auto const& c : cases) {
        INFO("input: " << c.input);
        CHECK(reprint(c.input) == c.want);
    }
}

TEST_CASE("unparse_field folds after commas at 80 columns like qmail", "[inject][token]")
{
    auto fold = [](std::string_view value, std::size_t width = kLineLength) {
        auto tokens = tokenize(value);
        REQUIRE(tokens);
        auto out = parse_address_list(value, *tokens, [](Tokens&) {});
        REQUIRE(out);
        return unparse_field("To", *out, width);
    };
    CHECK(fold("a@b") == "To: a@b\n");
    CHECK(fold("a@b,c@d") == "To: a@b, c@d\n");
    // Each line holds what fits; continuation lines start with two spaces.
    std::string ten;
    for (int i = 0; i < 10; ++i)
        ten += (i ? "," : "") + std::string("user") + std::to_string(i) + "@example.org";
    // As in qmail, the first line is counted with the tentative "\n " (so 78 columns show)
    // and later ones from their second space.
    CHECK(fold(ten)
        == "To: user0@example.org, user1@example.org, user2@example.org,\n"
           "  user3@example.org, user4@example.org, user5@example.org, user6@example.org,\n"
           "  user7@example.org, user8@example.org, user9@example.org\n");
    CHECK(fold("a@b, c@d, e@f", 10) == "To: a@b,\n  c@d,\n  e@f\n");
    // A single address longer than a line is not cut.
    std::string long_box(100, 'x');
    CHECK(fold(long_box + "@b") == "To: " + long_box + "@b\n");
    CHECK(fold("a@b, " + long_box + "@c, d@e") == "To: a@b,\n  " + long_box + "@c,\n  d@e\n");
}

TEST_CASE("unparse_field quotes and escapes what needs it", "[inject][token]")
{
    Tokens tokens = {
        { TokenType::quoted, "say \"hi\"\\" },
        { TokenType::at, "" },
        { TokenType::literal, "a]b" },
        { TokenType::comment, "c" },
    };
    CHECK(unparse_field("To", tokens) == "To: \"say \\\"hi\\\"\\\\\"@[a\\]b] (c)\n");
}

TEST_CASE("address_text gives the envelope form", "[inject][token]")
{
    struct Case {
        std::string_view input;
        std::string_view want;
    };
    std::vector<Case> const cases = {
        { "joe@x.org", "joe@x.org" },
        { "\"john doe\"@x", "john doe@x" },
        { "a (c) @ b", "a@b" },
        { "u@[1.2.3.4]", "u@[1.2.3.4]" },
        { "", "" },
    };
    for (auto const& c : cases) {
        INFO("input: " << c.input);
        auto tokens = tokenize(c.input);
        REQUIRE(tokens);
        CHECK(address_text(*tokens) == c.want);
    }
}
