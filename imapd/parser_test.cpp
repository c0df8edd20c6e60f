#include "command.hpp"
#include "parser.hpp"

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

using namespace imapd;

TEST_CASE("sequence sets parse and match", "[imapd][parser]")
{
    struct Case {
        char const* text;
        bool valid;
    };
    Case const cases[] = { { "1", true }, { "1:3", true }, { "*", true }, { "3:*", true },
        { "1,3:5,*", true }, { "4294967295", true }, { "", false }, { "0", false },
        { "1:0", false }, { "01", false }, { "1,", false }, { ",1", false }, { "1::2", false },
        { "4294967296", false }, { "a", false }, { "1:2:3", false }, { "-1", false } };
    for (auto const& c : cases) {
        INFO(c.text);
        CHECK(SeqSet::parse(c.text).has_value() == c.valid);
    }
    auto set = SeqSet::parse("2:4,9,7:*");
    REQUIRE(set);
    CHECK_FALSE(set->contains(1, 10));
    CHECK(set->contains(3, 10));
    CHECK_FALSE(set->contains(5, 10));
    CHECK(set->contains(8, 10));
    CHECK(set->contains(10, 10));
    auto reversed = SeqSet::parse("5:2");
    REQUIRE(reversed);
    CHECK(reversed->contains(3, 10));
    CHECK(SeqSet::format({ 5, 1, 2, 3, 9 }) == "1:3,5,9");
}

TEST_CASE("cursor reads atoms, strings and literals", "[imapd][parser]")
{
    Cursor c("a1 \"q \\\"x\\\\\" {3}\r\nabc atom) {0+}\r\n");
    CHECK(c.tag() == std::string("a1"));
    REQUIRE(c.sp());
    CHECK(c.astring() == std::string("q \"x\\"));
    REQUIRE(c.sp());
    CHECK(c.astring() == std::string("abc"));
    REQUIRE(c.sp());
    CHECK(c.astring() == std::string("atom"));
    CHECK(c.eat(')'));
    REQUIRE(c.sp());
    CHECK(c.string() == std::string(""));
    CHECK(c.at_end());

    CHECK_FALSE(Cursor("\"unterminated").string());
    CHECK_FALSE(Cursor("\"bad \\q escape\"").string());
    CHECK_FALSE(Cursor("{5}\r\nabc").string()); // shorter than announced
    CHECK_FALSE(Cursor("{x}\r\nabc").string());
    CHECK_FALSE(Cursor("{99999999999999999999}\r\n").string());
    Cursor flags("(\\Seen $Label \\*)");
    auto list = flags.flag_list();
    REQUIRE(list);
    CHECK(*list == std::vector<std::string> { "\\Seen", "$Label", "\\*" });
    CHECK_FALSE(Cursor("(\\Seen").flag_list());
    CHECK_FALSE(Cursor("(\\Seen  x)").flag_list());
}

TEST_CASE("literal marks at line ends", "[imapd][parser]")
{
    auto m = literal_at_end("a APPEND x {12}");
    REQUIRE(m);
    CHECK(m->size == 12);
    CHECK(m->synchronizing);
    auto plus = literal_at_end("a APPEND x {7+}");
    REQUIRE(plus);
    CHECK_FALSE(plus->synchronizing);
    CHECK_FALSE(literal_at_end("a NOOP"));
    CHECK_FALSE(literal_at_end("{}"));
    CHECK_FALSE(literal_at_end("x {+}"));
    CHECK_FALSE(literal_at_end("x {12a}"));
}

namespace {

// Runs the CommandReader over input written into a socketpair; returns the statuses,
// texts and what the reader sent back ("+ OK" continuations).
struct Read {
    std::vector<ReadStatus> statuses;
    std::vector<std::string> texts;
    std::string sent;
};

Read read_all(std::string const& input, bool big_append = true)
{
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    REQUIRE(::write(fds[0], input.data(), input.size()) == static_cast<ssize_t>(input.size()));
    ::shutdown(fds[0], SHUT_WR);
    mta::Reader in(fds[1], 2000);
    mta::Writer out(fds[1], 2000);
    CommandReader reader(in, out, big_append);
    Read r;
    std::string text;
    for (int i = 0; i < 20; ++i) {
        auto got = reader.read(text);
        REQUIRE(got);
        if (*got == ReadStatus::eof)
            break;
        r.statuses.push_back(*got);
        r.texts.push_back(text);
    }
    REQUIRE(out.flush());
    char buf[4096];
    ::shutdown(fds[1], SHUT_WR);
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n > 0)
        r.sent.assign(buf, static_cast<size_t>(n));
    ::close(fds[0]);
    ::close(fds[1]);
    return r;
}

} // namespace

TEST_CASE("command reader collects literals and enforces limits", "[imapd][parser]")
{
    auto r = read_all("a LOGIN {3}\r\nbob {4+}\r\npass\r\nb NOOP\r\n");
    REQUIRE(r.statuses.size() == 2);
    CHECK(r.texts[0] == "a LOGIN {3}\r\nbob {4+}\r\npass");
    CHECK(r.texts[1] == "b NOOP");
    CHECK(r.sent == "+ OK\r\n"); // only the synchronizing literal is answered

    // A huge synchronizing literal is refused without reading it; the next line is a
    // new command.
    auto big = read_all("c SEARCH TEXT {999999999}\r\nd NOOP\r\n");
    REQUIRE(big.statuses.size() == 2);
    CHECK(big.statuses[0] == ReadStatus::literal_too_big);
    CHECK(big.texts[0].rfind("c SEARCH", 0) == 0);
    CHECK(big.statuses[1] == ReadStatus::command);
    CHECK(big.sent.empty());

    // A non-synchronizing one over the limit is read and thrown away.
    std::string junk(70000, 'x');
    auto skipped = read_all("e SEARCH TEXT {70000+}\r\n" + junk + "\r\nf NOOP\r\n");
    REQUIRE(skipped.statuses.size() == 2);
    CHECK(skipped.statuses[0] == ReadStatus::literal_too_big);
    CHECK(skipped.texts[1] == "f NOOP");

    // APPEND may send a big literal.
    std::string body(100000, 'y');
    auto append = read_all("g APPEND INBOX {100000+}\r\n" + body + "\r\n");
    REQUIRE(append.statuses.size() == 1);
    CHECK(append.statuses[0] == ReadStatus::command);
    CHECK(append.texts[0].size() == std::string("g APPEND INBOX {100000+}\r\n").size() + 100000);

    // Not before login.
    auto early = read_all("g APPEND INBOX {100000}\r\nh NOOP\r\n", false);
    REQUIRE(early.statuses.size() == 2);
    CHECK(early.statuses[0] == ReadStatus::literal_too_big);
    CHECK(early.texts[1] == "h NOOP");

    auto long_line = read_all("h " + std::string(kMaxLine + 10, 'z') + "\r\ni NOOP\r\n");
    REQUIRE(long_line.statuses.size() == 2);
    CHECK(long_line.statuses[0] == ReadStatus::too_long);
    CHECK(long_line.texts[1] == "i NOOP");
}

TEST_CASE("FETCH arguments", "[imapd][parser]")
{
    Cursor c(" 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From \"X-Y\")]<0.100> BODY[1.2.MIME] "
             "RFC822.SIZE BODY BODYSTRUCTURE UID) (CHANGEDSINCE 12)");
    auto args = parse_fetch(c);
    REQUIRE(args);
    REQUIRE(args->items.size() == 7);
    using K = FetchItem::Kind;
    CHECK(args->items[0].kind == K::flags);
    auto const& h = args->items[1];
    CHECK(h.kind == K::section);
    CHECK(h.peek);
    CHECK(h.section.text == Section::Text::header_fields);
    CHECK(h.section.fields == std::vector<std::string> { "From", "X-Y" });
    CHECK(h.section.spec == "HEADER.FIELDS (From X-Y)");
    CHECK(h.origin == 0u);
    CHECK(h.count == 100);
    CHECK(args->items[2].section.part == std::vector<uint32_t> { 1, 2 });
    CHECK(args->items[2].section.text == Section::Text::mime);
    CHECK(args->items[2].section.spec == "1.2.MIME");
    CHECK(args->items[4].kind == K::body);
    CHECK(args->changed_since == 12u);

    Cursor all(" 5 ALL");
    auto macro = parse_fetch(all);
    REQUIRE(macro);
    CHECK(macro->items.size() == 4);

    char const* bad[] = { " 1 (FLAGS", " 1 FLAGS)", " 1 BODY[", " 1 BODY[1.]", " 1 BODY[MIME]",
        " 1 BODY[0]", " 1 BODY[TEXT]<1>", " 1 BODY[TEXT]<1.0>", " 1 NOSUCH", " x FLAGS",
        " 1 (FLAGS) junk", " 1 BODY[HEADER.FIELDS ()]", " 1 BODY[HEADER.FIELDS]", " 1", " 1 ()",
        " 1 BODY.PEEK", " 1 (FLAGS  UID)" };
    for (char const* text : bad) {
        INFO(text);
        Cursor b(text);
        CHECK_FALSE(parse_fetch(b));
    }
}

TEST_CASE("STORE and SEARCH arguments", "[imapd][parser]")
{
    Cursor s(" 1,3 (UNCHANGEDSINCE 7) +FLAGS.SILENT (\\Seen foo)");
    auto store = parse_store(s);
    REQUIRE(store);
    CHECK(store->mode == StoreArgs::Mode::add);
    CHECK(store->silent);
    CHECK(store->unchanged_since == 7u);
    CHECK(store->flags == std::vector<std::string> { "\\Seen", "foo" });
    Cursor bare(" 2 -FLAGS \\Deleted \\Seen");
    auto store2 = parse_store(bare);
    REQUIRE(store2);
    CHECK(store2->flags.size() == 2);
    for (char const* text : { " 1 FLAG (\\Seen)", " 1 +FLAGS", " 1 +FLAGS (\\Seen", " +FLAGS x" }) {
        INFO(text);
        Cursor b(text);
        CHECK_FALSE(parse_store(b));
    }

    Cursor q(" CHARSET UTF-8 OR FROM alice (SUBJECT \"hi there\" UNSEEN) NOT UID 1:5 "
             "SINCE 1-Feb-2024 LARGER 100 HEADER X-Spam yes 2:*");
    auto search = parse_search(q);
    REQUIRE(search);
    CHECK(search->charset_ok);
    REQUIRE(search->key.children.size() == 6);
    CHECK(search->key.children[0].op == SearchKey::Op::or_);
    CHECK(search->key.children[1].op == SearchKey::Op::not_);
    CHECK(search->key.children[2].date == 1706745600);
    CHECK(search->key.children[5].op == SearchKey::Op::set);
    Cursor cs(" CHARSET KOI8-R TEXT x");
    auto charset = parse_search(cs);
    REQUIRE(charset);
    CHECK_FALSE(charset->charset_ok);
    for (char const* text : { "", " ", " FROM", " OR FROM a", " (ALL", " SINCE 31-Foo-2020",
             " SINCE 1-Feb-20", " NOSUCH", " LARGER x", " UID", " ALL junk)" }) {
        INFO(text);
        Cursor b(text);
        CHECK_FALSE(parse_search(b));
    }
    std::string deep = " ";
    for (int i = 0; i < 200; ++i)
        deep += "NOT ";
    deep += "ALL";
    Cursor d(deep);
    CHECK_FALSE(parse_search(d)); // nesting is limited
}

TEST_CASE("dates", "[imapd][parser]")
{
    CHECK(parse_search_date("1-Jan-1970") == 0);
    CHECK(parse_search_date("29-feb-2024") == 1709164800);
    CHECK_FALSE(parse_search_date("32-Jan-2024"));
    CHECK(parse_date_time("17-Jul-1996 02:44:25 -0700") == 837596665);
    CHECK(parse_date_time(" 7-Jul-1996 02:44:25 +0000") == 836707465);
    CHECK_FALSE(parse_date_time("17-Jul-1996 02:44:25"));
    CHECK_FALSE(parse_date_time("17-Jul-1996 25:44:25 +0000"));
}

TEST_CASE("response quoting", "[imapd][parser]")
{
    CHECK(quote("plain") == "\"plain\"");
    CHECK(quote("a\"b\\c") == "\"a\\\"b\\\\c\"");
    CHECK(quote("line\r\nbreak") == "{11}\r\nline\r\nbreak");
    CHECK(quote("\xc3\xa9") == "{2}\r\n\xc3\xa9");
    CHECK(nstring(std::nullopt) == "NIL");
    CHECK(valid_mailbox_name("Lists.debian"));
    for (char const* bad : { "", ".x", "x.", "a..b", "a/b", "a*", "a%", "\x01" })
        CHECK_FALSE(valid_mailbox_name(bad));
}
