#include "clean.hpp"
#include "sweep.hpp"

#include "auto_conf.hpp"
#include "fd.hpp"
#include "queue_paths.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <utime.h>

using namespace queue;
using mta::test::TempDir;
using namespace std::string_literals;

namespace {

// A queue directory with pid/ and the hashed mess/, intd/, todo/.
struct FakeQueue {
    TempDir dir;

    FakeQueue()
    {
        REQUIRE(::mkdir(dir.file("pid").c_str(), 0700) == 0);
        for (auto d : { "mess", "intd", "todo" }) {
            REQUIRE(::mkdir(dir.file(d).c_str(), 0700) == 0);
            for (int k = 0; k < mta::conf::kSplit; ++k)
                REQUIRE(::mkdir(dir.file(d + "/"s + std::to_string(k)).c_str(), 0700) == 0);
        }
    }
    std::string path(std::string_view d, unsigned long n) const
    {
        return dir.path() + "/" + mta::hashed_path(d, n);
    }
    bool exists(std::string const& p) const
    {
        struct stat st;
        return ::lstat(p.c_str(), &st) == 0;
    }

    // An injection that stopped after step `steps` of the queue's sequence: 1 pid file,
    // 2 + intd, 3 + mess link, 4 pid unlinked, 5 + todo link. Returns N.
    unsigned long inject(int steps, std::string const& name)
    {
        std::string const pid = dir.file("pid/" + name);
        auto fd = mta::open_excl(pid, 0644);
        REQUIRE(fd.ok());
        REQUIRE(mta::write_all(fd->get(), "Received: x\n\nbody\n").ok());
        struct stat st;
        REQUIRE(::fstat(fd->get(), &st) == 0);
        unsigned long const n = st.st_ino;
        if (steps >= 2)
            REQUIRE(mta::open_excl(path("intd", n), 0644).ok());
        if (steps >= 3)
            REQUIRE(::link(pid.c_str(), path("mess", n).c_str()) == 0);
        if (steps >= 4)
            REQUIRE(::unlink(pid.c_str()) == 0);
        if (steps >= 5)
            REQUIRE(::link(path("intd", n).c_str(), path("todo", n).c_str()) == 0);
        return n;
    }
    std::vector<std::string> pid_names() const
    {
        auto names = mta::list_directory(dir.file("pid"));
        REQUIRE(names.ok());
        return *names;
    }
};

void set_mtime(std::string const& path, time_t when)
{
    utimbuf times { when, when };
    REQUIRE(::utime(path.c_str(), &times) == 0);
}

} // namespace

TEST_CASE("clean requests are foop/N or todo/N, 7 to 100 bytes with the NUL", "[queue][clean]")
{
    auto foop = parse_request("foop/12345");
    REQUIRE(foop);
    CHECK(foop->kind == Request::Kind::foop);
    CHECK(foop->number == 12345);
    auto todo = parse_request("todo/0");
    REQUIRE(todo);
    CHECK(todo->kind == Request::Kind::todo);
    CHECK(todo->number == 0);
    std::string const longest = "todo/" + std::string(93, '0') + "7"; // 99 bytes
    REQUIRE(parse_request(longest));
    CHECK(parse_request(longest)->number == 7);
    for (std::string const& bad : { "foop/"s, "todo"s, "foo/12"s, "mess/12"s, "FOOP/1"s, "foop/1a"s,
             "foop/-1"s, "foop/ 1"s, "foop//1"s, "todo/1/2"s, ""s, longest + "0",
             "foop/99999999999999999999999"s, "foop/1\0"s }) {
        INFO("request " << bad);
        CHECK_FALSE(parse_request(bad));
    }
}

TEST_CASE("foop/N removes intd and mess, todo/N intd and todo", "[queue][clean]")
{
    FakeQueue q;
    unsigned long const n = q.inject(5, "a");
    CHECK(perform(q.dir.path(), { Request::Kind::todo, n }) == kReplyDone);
    CHECK_FALSE(q.exists(q.path("intd", n)));
    CHECK_FALSE(q.exists(q.path("todo", n)));
    CHECK(q.exists(q.path("mess", n)));
    CHECK(perform(q.dir.path(), { Request::Kind::todo, n }) == kReplyDone); // ENOENT is done
    CHECK(perform(q.dir.path(), { Request::Kind::foop, n }) == kReplyDone);
    CHECK_FALSE(q.exists(q.path("mess", n)));
    CHECK(perform(q.dir.path(), { Request::Kind::foop, n }) == kReplyDone);

    // An unlink that fails (here: a directory in the way) is '!'.
    REQUIRE(::mkdir(q.path("mess", 46).c_str(), 0700) == 0);
    CHECK(perform(q.dir.path(), { Request::Kind::foop, 46 }) == kReplyFailed);
    CHECK(perform(q.dir.path(), { Request::Kind::todo, 46 }) == kReplyDone);
}

TEST_CASE("serve answers one byte per NUL-terminated request", "[queue][clean]")
{
    FakeQueue q;
    unsigned long const a = q.inject(5, "a");
    unsigned long const b = q.inject(5, "b");
    auto in = mta::make_pipe();
    auto out = mta::make_pipe();
    REQUIRE(in.ok());
    REQUIRE(out.ok());
    std::string const requests = "todo/" + std::to_string(a) + '\0' + "bad" + '\0' + "foop/"
        + std::to_string(b) + '\0' + std::string(300, '1') + '\0' + "foop/9\0"s + "foop/1x\0"s
        + "todo/"; // an unterminated request at the end is ignored
    REQUIRE(mta::write_all(in->write_end.get(), requests).ok());
    REQUIRE(in->write_end.close().ok());
    CHECK(serve(q.dir.path(), in->read_end.get(), out->write_end.get()) == 0);
    REQUIRE(out->write_end.close().ok());
    auto replies = mta::read_file("/dev/fd/" + std::to_string(out->read_end.get()), 100);
    REQUIRE(replies.ok());
    CHECK(*replies == "+x+x+x");
    CHECK_FALSE(q.exists(q.path("todo", a)));
    CHECK(q.exists(q.path("mess", a)));
    CHECK_FALSE(q.exists(q.path("mess", b)));
    CHECK(q.exists(q.path("todo", b))); // foop does not touch todo
}

TEST_CASE("the sweep removes every uncommitted injection and keeps the rest", "[queue][sweep]")
{
    FakeQueue q;
    unsigned long const pid_only = q.inject(1, "1.0.1");
    unsigned long const with_intd = q.inject(2, "2.0.1");
    unsigned long const linked = q.inject(3, "3.0.1"); // killed between link and unlink
    unsigned long const written = q.inject(4, "4.0.1");
    unsigned long const committed = q.inject(5, "5.0.1");
    unsigned long const preprocessed = q.inject(5, "6.0.1");
    REQUIRE(perform(q.dir.path(), { Request::Kind::todo, preprocessed }) == kReplyDone);
    // pid names that came back after a machine crash, beside a committed and a
    // preprocessed message: only the names go.
    REQUIRE(::link(q.path("mess", committed).c_str(), q.dir.file("pid/5.0.1").c_str()) == 0);
    REQUIRE(::link(q.path("mess", preprocessed).c_str(), q.dir.file("pid/6.0.1").c_str()) == 0);
    // intd whose mess is already gone (the queue's own cleanup was interrupted).
    unsigned long const intd_alone = q.inject(4, "8.0.1");
    REQUIRE(::unlink(q.path("mess", intd_alone).c_str()) == 0);
    (void)pid_only;

    SweepCounts c = sweep(q.dir.path(), ::time(nullptr), 0);
    CHECK(c.pid_files == 5); // 1, 2, 3, 5 and 6
    CHECK(c.messages == 2); // 3, 4
    CHECK(c.intd_files == 4); // 2, 3, 4, 8
    CHECK(c.busy == 0);
    CHECK(q.pid_names().empty());
    for (auto n : { with_intd, linked, written, intd_alone }) {
        INFO("message " << n);
        CHECK_FALSE(q.exists(q.path("mess", n)));
        CHECK_FALSE(q.exists(q.path("intd", n)));
    }
    CHECK(q.exists(q.path("mess", committed)));
    CHECK(q.exists(q.path("intd", committed)));
    CHECK(q.exists(q.path("todo", committed)));
    CHECK(q.exists(q.path("mess", preprocessed)));

    SweepCounts again = sweep(q.dir.path(), ::time(nullptr), 0);
    CHECK(again.pid_files + again.messages + again.intd_files == 0);
}

TEST_CASE("the sweep leaves a running injection alone", "[queue][sweep]")
{
    FakeQueue q;
    unsigned long const m = q.inject(2, "1.0.1");
    unsigned long const n = q.inject(4, "2.0.1");
    // The queue process holds an flock on its pid/mess inode and on intd until it exits.
    auto pid_lock = mta::open_read(q.dir.file("pid/1.0.1"));
    auto first = mta::open_read(q.path("intd", m));
    auto second = mta::open_read(q.path("intd", n));
    REQUIRE(pid_lock.ok());
    REQUIRE(first.ok());
    REQUIRE(second.ok());
    for (auto* fd : { &*pid_lock, &*first, &*second })
        REQUIRE(::flock(fd->get(), LOCK_EX) == 0);
    SweepCounts c = sweep(q.dir.path(), ::time(nullptr), 0);
    CHECK(c.busy == 3);
    CHECK(c.pid_files + c.messages + c.intd_files == 0);
    CHECK(q.pid_names().size() == 1);
    CHECK(q.exists(q.path("intd", m)));
    CHECK(q.exists(q.path("intd", n)));
    CHECK(q.exists(q.path("mess", n)));

    // Its process exited: the locks are gone, and so are the files.
    pid_lock = mta::Fd();
    first = mta::Fd();
    second = mta::Fd();
    c = sweep(q.dir.path(), ::time(nullptr), 0);
    CHECK(c.busy == 0);
    CHECK(c.pid_files == 1);
    CHECK(c.messages == 1);
    CHECK(c.intd_files == 2);
    CHECK(q.pid_names().empty());
    CHECK_FALSE(q.exists(q.path("intd", n)));
    CHECK_FALSE(q.exists(q.path("mess", n)));
}

TEST_CASE("the sweep waits until a leftover is max_age old (mtime)", "[queue][sweep]")
{
    FakeQueue q;
    unsigned long const a = q.inject(3, "1.0.1");
    unsigned long const b = q.inject(4, "2.0.1");
    time_t const now = ::time(nullptr);
    SweepCounts c = sweep(q.dir.path(), now, kSweepAge);
    CHECK(c.young == 3); // pid/1.0.1, intd a, intd b
    CHECK(c.pid_files + c.messages + c.intd_files == 0);

    set_mtime(q.dir.file("pid/1.0.1"), now - kSweepAge + 60); // 35 h 59 min: still kept
    set_mtime(q.path("intd", a), now - kSweepAge + 60);
    set_mtime(q.path("intd", b), now - kSweepAge + 60);
    c = sweep(q.dir.path(), now, kSweepAge);
    CHECK(c.young == 3);
    CHECK(q.exists(q.path("mess", a)));

    set_mtime(q.dir.file("pid/1.0.1"), now - kSweepAge);
    set_mtime(q.path("intd", a), now - kSweepAge);
    set_mtime(q.path("intd", b), now - kSweepAge - 1);
    c = sweep(q.dir.path(), now, kSweepAge);
    CHECK(c.young == 0);
    CHECK(c.pid_files == 1);
    CHECK(c.messages == 2);
    CHECK(c.intd_files == 2);
    CHECK_FALSE(q.exists(q.path("mess", a)));
    CHECK_FALSE(q.exists(q.path("mess", b)));
    CHECK_FALSE(q.exists(q.path("intd", b)));
}

TEST_CASE(
    "serve sweeps at its start and then at most once per kSweepInterval", "[queue][clean][sweep]")
{
    FakeQueue q;
    auto in = mta::make_pipe();
    auto out = mta::make_pipe();
    REQUIRE(in.ok());
    REQUIRE(out.ok());
    int result = -1;
    std::thread server(
        [&] { result = serve(q.dir.path(), in->read_end.get(), out->write_end.get()); });
    auto ask = [&](int count) {
        std::string requests;
        for (int i = 0; i < count; ++i)
            requests += "foop/1"s + '\0'; // nothing to remove: answered +
        REQUIRE(mta::write_all(in->write_end.get(), requests).ok());
        std::string replies(static_cast<size_t>(count), '\0');
        size_t got = 0;
        while (got < replies.size()) {
            ssize_t n = ::read(out->read_end.get(), replies.data() + got, replies.size() - got);
            REQUIRE(n > 0);
            got += static_cast<size_t>(n);
        }
        CHECK(replies == std::string(static_cast<size_t>(count), '+'));
    };
    ask(1); // the first sweep has run
    // A leftover of a killed injection, old enough for any sweep.
    std::string const old = q.dir.file("pid/9.9.9");
    REQUIRE(mta::open_excl(old, 0644).ok());
    set_mtime(old, ::time(nullptr) - kSweepAge - 60);
    ask(static_cast<int>(3 * kSweepEvery)); // past several 30-request marks, within 10 min
    CHECK(q.exists(old));
    REQUIRE(in->write_end.close().ok());
    server.join();
    CHECK(result == 0);
}
