#include "clean_link.hpp"

#include "fd.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <ctime>
#include <fcntl.h>
#include <string>
#include <unistd.h>

namespace {

using namespace std::string_literals;
using send::CleanLink;
using Kind = CleanLink::Request::Kind;

// Two pipes standing in for clean: requests arrive on from_send, replies go to_send.
struct FakeClean {
    mta::Pipe requests = must(mta::make_pipe());
    mta::Pipe replies = must(mta::make_pipe());
    CleanLink link { requests.write_end.get(), replies.read_end.get(), 8 };

    static mta::Pipe must(mta::Result<mta::Pipe> p)
    {
        REQUIRE(p);
        return std::move(*p);
    }
    // Whatever send has written so far (the read end is made non-blocking).
    std::string received()
    {
        REQUIRE(mta::set_nonblocking(requests.read_end.get(), true));
        std::string all;
        char buf[65536];
        ssize_t n;
        while ((n = ::read(requests.read_end.get(), buf, sizeof buf)) > 0)
            all.append(buf, static_cast<size_t>(n));
        return all;
    }
    void reply(std::string const& bytes)
    {
        REQUIRE(mta::write_all(replies.write_end.get(), bytes));
    }
    // One turn of send's loop: poll (at most ms), then after_poll.
    std::vector<CleanLink::Answer> turn(int ms = 1000)
    {
        std::vector<pollfd> fds;
        link.add_poll(fds);
        REQUIRE(::poll(fds.data(), fds.size(), ms) >= 0);
        return link.after_poll(fds);
    }
};

send::Preprocessed message(unsigned long id, bool local, bool remote)
{
    return { id, { local, remote } };
}

} // namespace

TEST_CASE("clean link: requests go out in order, replies match them in order", "[send][clean_link]")
{
    FakeClean clean;
    clean.link.queue_request(CleanLink::todo(message(12, true, false)));
    clean.link.queue_request(CleanLink::foop(7));
    clean.link.queue_request(CleanLink::todo(message(13, false, true)));
    CHECK(clean.received() == "todo/12\0foop/7\0todo/13\0"s);
    CHECK(clean.link.outstanding() == 3);
    CHECK(clean.link.todo_pending(12));
    CHECK(clean.link.todo_pending(13));
    CHECK_FALSE(clean.link.todo_pending(7));

    clean.reply("+!+");
    auto answers = clean.turn();
    REQUIRE(answers.size() == 3);
    CHECK(answers[0].request.kind == Kind::todo);
    CHECK(answers[0].request.message.id == 12);
    CHECK(answers[0].request.message.has[0]);
    CHECK_FALSE(answers[0].request.message.has[1]);
    CHECK(answers[0].reply == '+');
    CHECK(answers[1].request.kind == Kind::foop);
    CHECK(answers[1].request.message.id == 7);
    CHECK(answers[1].reply == '!');
    CHECK(answers[2].request.message.id == 13);
    CHECK(answers[2].request.message.has[1]);
    CHECK(answers[2].reply == '+');
    CHECK(clean.link.outstanding() == 0);
    CHECK_FALSE(clean.link.todo_pending(12));
    CHECK_FALSE(clean.link.lost());
    CHECK(CleanLink::text(answers[1].request) == "foop/7");
}

TEST_CASE(
    "clean link: an orphan is foop/N on the wire, told apart in its answer", "[send][clean_link]")
{
    FakeClean clean;
    clean.link.queue_request(CleanLink::foop(7));
    clean.link.queue_request(CleanLink::orphan(30));
    clean.link.queue_request(CleanLink::todo(message(30, true, false)));
    CHECK(clean.received() == "foop/7\0foop/30\0todo/30\0"s);
    CHECK(clean.link.foop_pending(7));
    CHECK(clean.link.foop_pending(30));
    CHECK(clean.link.todo_pending(30));
    CHECK_FALSE(clean.link.todo_pending(7));
    CHECK_FALSE(clean.link.foop_pending(31));

    clean.reply("+!");
    auto answers = clean.turn();
    REQUIRE(answers.size() == 2);
    CHECK(answers[0].request.kind == Kind::foop);
    CHECK(answers[1].request.kind == Kind::orphan);
    CHECK(answers[1].request.message.id == 30);
    CHECK(answers[1].reply == '!');
    CHECK(CleanLink::text(answers[1].request) == "foop/30");
    CHECK_FALSE(clean.link.foop_pending(7));
    CHECK_FALSE(clean.link.foop_pending(30));
    CHECK(clean.link.todo_pending(30)); // its own request still waits

    auto left = clean.link.abandon();
    REQUIRE(left.size() == 1);
    CHECK(left[0].kind == Kind::todo);
    CHECK_FALSE(clean.link.todo_pending(30));
}

TEST_CASE("clean link: partial replies answer the oldest requests only", "[send][clean_link]")
{
    FakeClean clean;
    for (unsigned long id : { 1, 2, 3 })
        clean.link.queue_request(CleanLink::todo(message(id, true, false)));
    clean.reply("+");
    auto first = clean.turn();
    REQUIRE(first.size() == 1);
    CHECK(first[0].request.message.id == 1);
    CHECK(clean.link.outstanding() == 2);
    CHECK_FALSE(clean.link.todo_pending(1));
    CHECK(clean.link.todo_pending(2));

    CHECK(clean.turn(50).empty()); // nothing more yet: no answer, nothing lost
    CHECK_FALSE(clean.link.lost());

    clean.reply("x+");
    auto rest = clean.turn();
    REQUIRE(rest.size() == 2);
    CHECK(rest[0].request.message.id == 2);
    CHECK(rest[0].reply == 'x');
    CHECK(rest[1].request.message.id == 3);
    CHECK(clean.link.outstanding() == 0);
}

TEST_CASE("clean link: a byte beyond the waiting requests is not read", "[send][clean_link]")
{
    FakeClean clean;
    clean.link.queue_request(CleanLink::foop(5));
    clean.reply("++");
    CHECK(clean.turn().size() == 1);
    std::vector<pollfd> fds;
    clean.link.add_poll(fds);
    CHECK(fds.empty()); // nothing waits, nothing to write: clean's fds are left alone
}

TEST_CASE("clean link: end of file from clean is lost clean", "[send][clean_link]")
{
    FakeClean clean;
    clean.link.queue_request(CleanLink::todo(message(9, true, false)));
    clean.link.queue_request(CleanLink::todo(message(10, true, false)));
    clean.reply("+");
    clean.replies.write_end = mta::Fd(); // clean died after one reply
    auto answers = clean.turn();
    REQUIRE(answers.size() == 1); // the reply it gave still counts
    CHECK(answers[0].request.message.id == 9);
    CHECK(clean.link.lost());
    CHECK(clean.link.outstanding() == 0);
    CHECK_FALSE(clean.link.todo_pending(10));
    clean.link.queue_request(CleanLink::foop(11)); // taken no more
    CHECK(clean.link.outstanding() == 0);
    std::vector<pollfd> fds;
    clean.link.add_poll(fds);
    CHECK(fds.empty());
}

TEST_CASE("clean link: EPIPE on the request pipe is lost clean", "[send][clean_link]")
{
    FakeClean clean;
    clean.requests.read_end = mta::Fd();
    struct sigaction ignore { };
    ignore.sa_handler = SIG_IGN;
    struct sigaction old { };
    REQUIRE(::sigaction(SIGPIPE, &ignore, &old) == 0);
    clean.link.queue_request(CleanLink::foop(3));
    ::sigaction(SIGPIPE, &old, nullptr);
    CHECK(clean.link.lost());
    CHECK(clean.link.outstanding() == 0);
}

TEST_CASE(
    "clean link: a full pipe never blocks; the rest goes out on POLLOUT", "[send][clean_link]")
{
    FakeClean clean;
    REQUIRE(::fcntl(clean.requests.write_end.get(), F_SETPIPE_SZ, 4096) >= 0);
    std::string expected;
    for (unsigned long id = 1000000; id < 1001000; ++id) { // about 13 KB of requests
        clean.link.queue_request(CleanLink::todo(message(id, false, true)));
        expected += "todo/" + std::to_string(id) + '\0';
    }
    CHECK(clean.link.outstanding() == 1000);
    std::vector<pollfd> fds;
    clean.link.add_poll(fds);
    REQUIRE(fds.size() == 2);
    CHECK(fds[0].events == POLLOUT);
    CHECK(fds[1].events == POLLIN);

    std::string got = clean.received();
    CHECK(got.size() < expected.size());
    for (int turns = 0; got.size() < expected.size() && turns < 100; ++turns) {
        CHECK(clean.turn().empty());
        got += clean.received();
    }
    CHECK(got == expected);
    clean.reply(std::string(1000, '+'));
    size_t answered = 0;
    for (int turns = 0; answered < 1000 && turns < 100; ++turns)
        answered += clean.turn().size();
    CHECK(answered == 1000);
    CHECK_FALSE(clean.link.lost());
}

TEST_CASE("clean link: the bound on outstanding requests", "[send][clean_link]")
{
    FakeClean clean; // bound 8
    CHECK(clean.link.has_room(8));
    CHECK_FALSE(clean.link.has_room(9));
    for (unsigned long id = 1; id <= 5; ++id)
        clean.link.queue_request(CleanLink::foop(id));
    CHECK(clean.link.has_room(3));
    CHECK_FALSE(clean.link.has_room(4));
    clean.reply("++");
    CHECK(clean.turn().size() == 2);
    CHECK(clean.link.has_room(5));
    CHECK_FALSE(clean.link.has_room(6));
}

TEST_CASE("clean link: drain waits for the replies, bounded", "[send][clean_link]")
{
    FakeClean clean;
    clean.link.queue_request(CleanLink::todo(message(21, true, true)));
    clean.link.queue_request(CleanLink::foop(22));
    clean.reply("+");
    time_t const start = ::time(nullptr);
    auto answers = clean.link.drain(start + 2); // the second reply never comes
    time_t const end = ::time(nullptr);
    REQUIRE(answers.size() == 1);
    CHECK(answers[0].request.message.id == 21);
    CHECK(end - start >= 1);
    CHECK(end - start <= 3);
    CHECK(clean.link.outstanding() == 1);

    clean.reply("!");
    answers = clean.link.drain(::time(nullptr) + 10);
    REQUIRE(answers.size() == 1);
    CHECK(answers[0].reply == '!');
    CHECK(clean.link.outstanding() == 0);
    CHECK(clean.link.drain(::time(nullptr) + 10).empty()); // nothing waits: at once
}

TEST_CASE("clean link: abandon gives the unanswered requests, lost or not", "[send][clean_link]")
{
    FakeClean clean;
    clean.link.queue_request(CleanLink::foop(31));
    clean.link.queue_request(CleanLink::todo(message(32, true, false)));
    clean.replies.write_end = mta::Fd();
    CHECK(clean.turn().empty());
    REQUIRE(clean.link.lost());
    auto left = clean.link.abandon();
    REQUIRE(left.size() == 2);
    CHECK(left[0].kind == Kind::foop);
    CHECK(left[0].message.id == 31);
    CHECK(left[1].message.id == 32);
    CHECK(clean.link.abandon().empty());

    FakeClean other;
    other.link.queue_request(CleanLink::foop(41));
    other.link.queue_request(CleanLink::foop(42));
    other.reply("+");
    CHECK(other.turn().size() == 1);
    left = other.link.abandon(); // at exit, clean still there
    REQUIRE(left.size() == 1);
    CHECK(left[0].message.id == 42);
    CHECK(other.link.outstanding() == 0);
    other.link.queue_request(CleanLink::foop(43)); // taken no more
    CHECK(other.link.outstanding() == 0);
    CHECK(other.received() == "foop/41\0foop/42\0"s);
}
