#include "maildrop.hpp"

#include "fd.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

namespace {

std::string send(std::string const& content, long long lines = -1)
{
    mta::test::TempDir dir;
    std::string const path = dir.write("msg", content);
    auto in = mta::open_read(path);
    REQUIRE(in);
    std::string const out_path = dir.file("out");
    auto out_fd = mta::open_trunc(out_path);
    REQUIRE(out_fd);
    mta::Writer out(out_fd->get());
    REQUIRE(pop3d::send_message(in->get(), out, lines));
    REQUIRE(out.flush());
    auto text = mta::read_file(out_path, 1 << 20);
    REQUIRE(text);
    return *text;
}

void make_maildir(mta::test::TempDir& dir)
{
    for (const char* sub : { "new", "cur", "tmp" })
        REQUIRE(::mkdir((dir.path() + "/" + sub).c_str(), 0700) == 0);
}

void add(mta::test::TempDir& dir, std::string const& rel, std::string const& content, time_t mtime)
{
    std::string const path = dir.write(rel, content);
    utimbuf times { mtime, mtime };
    REQUIRE(::utime(path.c_str(), &times) == 0);
}

mta::Fd open_out(std::string const& path)
{
    auto fd = mta::open_trunc(path);
    REQUIRE(fd);
    return std::move(*fd);
}

// A Maildrop over messages of dir, answering into the file dir/out.
struct Session {
    Session(mta::test::TempDir& dir, std::vector<pop3d::Message> messages)
        : out_path(dir.file("out"))
        , out_fd(open_out(out_path))
        , out(out_fd.get())
        , drop(dir.path(), std::move(messages), out)
    {
    }

    // Everything the Maildrop answered so far.
    std::string replies()
    {
        REQUIRE(out.flush());
        auto text = mta::read_file(out_path, 1 << 20);
        REQUIRE(text);
        return *text;
    }

    std::string out_path;
    mta::Fd out_fd;
    mta::Writer out;
    pop3d::Maildrop drop;
};

} // namespace

TEST_CASE("pop3d: messages go out with CRLF and dot-stuffing", "[pop3d]")
{
    CHECK(send("a\n.b\n..c\n.\n") == "a\r\n..b\r\n...c\r\n..\r\n.\r\n");
    CHECK(send("no newline") == "no newline\r\n.\r\n");
    CHECK(send("") == ".\r\n");
    CHECK(send("crlf\r\nkept\r\n") == "crlf\r\nkept\r\n.\r\n");
    CHECK(send("H: 1\n\nb1\nb2\nb3\n", 2) == "H: 1\r\n\r\nb1\r\nb2\r\n.\r\n");
    CHECK(send("H: 1\n\nb1\n", 0) == "H: 1\r\n\r\n.\r\n");
    CHECK(send("H: 1\nH: 2\n", 5) == "H: 1\r\nH: 2\r\n.\r\n");
    // a CR, LF or '.' on a 64 KiB read boundary
    std::string const edge(65535, 'x');
    CHECK(send(edge + "\r\nnext\n") == edge + "\r\nnext\r\n.\r\n");
    CHECK(send(edge + "\n.dot\n") == edge + "\r\n..dot\r\n.\r\n");
    CHECK(send(std::string(65536, 'y') + "\n") == std::string(65536, 'y') + "\r\n.\r\n");
    std::string big(100000, 'x');
    CHECK(send(big + "\n").size() == big.size() + 5);
}

TEST_CASE("pop3d: the Maildir scan and a session", "[pop3d]")
{
    mta::test::TempDir dir;
    make_maildir(dir);
    add(dir, "cur/200.B.host:2,S", "Subject: b\n\nbody b\n", 200);
    add(dir, "new/100.A.host", "Subject: a\n\nbody a\n", 100);
    add(dir, "new/.hidden", "x", 50);
    auto scanned = pop3d::scan_maildir(dir.path());
    REQUIRE(scanned);
    REQUIRE(scanned->size() == 2);
    CHECK((*scanned)[0].uid == "100.A.host");
    CHECK((*scanned)[1].uid == "200.B.host");
    CHECK((*scanned)[1].path == "cur/200.B.host:2,S");

    Session session(dir, std::move(*scanned));
    auto& drop = session.drop;
    CHECK(drop.greeting() == "+OK maildrop has 2 messages (38 octets)\r\n");
    for (const char* line : { "STAT", "DELE 2", "UIDL", "LIST 2", "RETR 1" })
        CHECK(*drop.handle_line(line));
    CHECK_FALSE(*drop.handle_line("QUIT"));
    CHECK(session.replies()
        == "+OK 2 38\r\n+OK message 2 deleted\r\n+OK unique-id listing follows\r\n"
           "1 100.A.host\r\n.\r\n-ERR message 2 is deleted\r\n+OK 19 octets\r\n"
           "Subject: a\r\n\r\nbody a\r\n.\r\n+OK bye\r\n");
    CHECK(::access((dir.path() + "/cur/200.B.host:2,S").c_str(), F_OK) == -1);
    CHECK(::access((dir.path() + "/cur/100.A.host:2,").c_str(), F_OK) == 0);
    CHECK(::access((dir.path() + "/new/100.A.host").c_str(), F_OK) == -1);
}

TEST_CASE("pop3d: messages renamed by another session are found by base name", "[pop3d]")
{
    mta::test::TempDir dir;
    make_maildir(dir);
    add(dir, "new/100.A.host", "Subject: a\n\nbody a\n", 100);
    add(dir, "cur/200.B.host:2,", "Subject: b\n\nbody b\n", 200);
    add(dir, "cur/300.C.host:2,", "Subject: c\n\nbody c\n", 300);
    add(dir, "cur/400.D.host:2,", "Subject: d\n\nbody d\n", 400);
    auto scanned = pop3d::scan_maildir(dir.path());
    REQUIRE(scanned);
    Session session(dir, std::move(*scanned));
    auto& drop = session.drop;
    for (const char* line : { "DELE 2", "DELE 3", "DELE 4" })
        CHECK(*drop.handle_line(line));
    // an IMAP session: SELECT moves A to cur/, STORE renames B, EXPUNGE removes C;
    // B is renamed once more after the look-up that RETR 1 makes
    auto move = [&](std::string const& from, std::string const& to) {
        REQUIRE(::rename(dir.file(from).c_str(), dir.file(to).c_str()) == 0);
    };
    move("new/100.A.host", "cur/100.A.host:2,");
    move("cur/200.B.host:2,", "cur/200.B.host:2,F");
    REQUIRE(::unlink(dir.file("cur/300.C.host:2,").c_str()) == 0);
    CHECK(*drop.handle_line("TOP 1 0"));
    move("cur/200.B.host:2,F", "cur/200.B.host:2,FS");
    CHECK_FALSE(*drop.handle_line("QUIT"));
    CHECK(session.replies()
        == "+OK message 2 deleted\r\n+OK message 3 deleted\r\n+OK message 4 deleted\r\n"
           "+OK top of message follows\r\nSubject: a\r\n\r\n.\r\n+OK bye\r\n");
    auto names = mta::list_directory(dir.file("cur"));
    REQUIRE(names);
    CHECK(*names == std::vector<std::string> { "100.A.host:2," });
    CHECK(mta::list_directory(dir.file("new"))->empty());
}

TEST_CASE("pop3d: QUIT answers -ERR when a deleted message stays", "[pop3d]")
{
    mta::test::TempDir dir;
    make_maildir(dir);
    add(dir, "cur/100.A.host:2,", "Subject: a\n\nbody a\n", 100);
    auto scanned = pop3d::scan_maildir(dir.path());
    REQUIRE(scanned);
    Session session(dir, std::move(*scanned));
    auto& drop = session.drop;
    CHECK(*drop.handle_line("DELE 1"));
    // a directory under the message's new name: unlink fails with EISDIR (or EPERM)
    REQUIRE(::rename(dir.file("cur/100.A.host:2,").c_str(), dir.file("cur/100.A.host:2,S").c_str())
        == 0);
    REQUIRE(::unlink(dir.file("cur/100.A.host:2,S").c_str()) == 0);
    REQUIRE(::mkdir(dir.file("cur/100.A.host:2,S").c_str(), 0700) == 0);
    CHECK_FALSE(*drop.handle_line("QUIT"));
    CHECK(session.replies()
        == "+OK message 1 deleted\r\n-ERR [SYS/TEMP] unable to remove all deleted messages\r\n");
}
