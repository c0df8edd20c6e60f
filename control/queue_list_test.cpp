#include "queue_list.hpp"

#include "auto_conf.hpp"
#include "queue_paths.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <sys/time.h>

namespace {

using namespace std::string_literals;

// A queue tree with the hashed folders, files written by hand.
class FakeQueue {
public:
    FakeQueue()
    {
        for (const char* dir : { "mess", "todo", "info", "local", "remote" }) {
            REQUIRE(::mkdir(m_tmp.file(dir).c_str(), 0700) == 0);
            for (int i = 0; i < mta::conf::kSplit; ++i)
                REQUIRE(::mkdir(m_tmp.file(dir + "/"s + std::to_string(i)).c_str(), 0700) == 0);
        }
        REQUIRE(::mkdir(m_tmp.file("bounce").c_str(), 0700) == 0);
    }
    std::string const& path() const { return m_tmp.path(); }
    std::string rel(const char* dir, unsigned long id) const { return mta::hashed_path(dir, id); }
    void put(const char* dir, unsigned long id, std::string_view data, time_t mtime = 0)
    {
        std::string file = m_tmp.write(rel(dir, id), data);
        if (mtime) {
            struct timeval tv[2] = { { mtime, 0 }, { mtime, 0 } };
            REQUIRE(::utimes(file.c_str(), tv) == 0);
        }
    }
    void put_flat(const char* dir, unsigned long id, std::string_view data)
    {
        m_tmp.write(dir + "/"s + std::to_string(id), data);
    }

private:
    mta::test::TempDir m_tmp;
};

} // namespace

TEST_CASE(
    "queue listing: a preprocessed message with local and remote recipients", "[control][queue]")
{
    FakeQueue q;
    q.put("mess", 1234, std::string(4096, 'x'), 1000);
    q.put("info", 1234, "Fa@example.org\0"s, 1700000000);
    q.put("local", 1234, "Tx@here.example\0Dy@here.example\0"s, 1700000000);
    q.put("remote", 1234, "Dz@there.example\0Tw@there.example\0"s, 1700000000);
    auto ids = admin::queued_ids(q.path());
    REQUIRE(ids.ok());
    CHECK(*ids == std::vector<unsigned long> { 1234 });
    auto m = admin::read_queued(q.path(), 1234);
    REQUIRE(m.ok());
    REQUIRE(m->has_value());
    CHECK((*m)->arrived == 1700000000);
    CHECK(admin::format_message(**m, 1700003600)
        == "msg 1234 arrived 2023-11-14T22:13:20Z age 3600 size 4096 from <a@example.org> next "
           "local 2023-11-14T23:35:00Z next remote 2023-11-15T00:00:00Z\n"
           "  local pending <x@here.example>\n"
           "  local done <y@here.example>\n"
           "  remote done <z@there.example>\n"
           "  remote pending <w@there.example>\n");
    admin::QueueStats stats;
    stats.add(**m);
    CHECK(admin::format_stats(stats)
        == "messages in queue: 1\n"
           "messages not yet preprocessed: 0\n"
           "local recipients pending: 1\n"
           "remote recipients pending: 1\n"
           "recipients not yet preprocessed: 0\n");
    CHECK(admin::arrival_time(q.path(), 1234) == 1700000000);

    // A bounce being collected is a flag; a message in the future has age 0, and a channel
    // file's mtime ahead of now is the next attempt send saved.
    q.put_flat("bounce", 1234, "x@here.example:\nfailed\n\n");
    m = admin::read_queued(q.path(), 1234);
    REQUIRE(m.ok());
    CHECK(admin::format_message(**m, 1).starts_with(
        "msg 1234 arrived 2023-11-14T22:13:20Z age 0 size 4096 from <a@example.org> next local "
        "2023-11-14T22:13:20Z next remote 2023-11-14T22:13:20Z bouncing\n"));
}

TEST_CASE("queue listing: next attempts follow send's schedule", "[control][queue]")
{
    time_t const birth = 1000000;
    struct Case {
        time_t age;
        time_t mtime;
        time_t skip;
        time_t want;
    };
    Case const cases[] = {
        { 0, birth, 10, birth + 100 }, // attempted at once; then (10)^2
        { 50, birth, 10, birth + 100 }, { 100, birth, 10, birth + 400 }, // (20)^2
        { 3000, birth, 10, birth + 3600 }, // sqrt 54 -> (60)^2
        { 0, birth, 20, birth + 400 }, { 1600, birth, 20, birth + 3600 },
        { 5, birth + 900, 10, birth + 900 }, // saved by send at exit
        { 1000, birth + 900, 10, birth + 1600 }, // in the past: the schedule again
    };
    for (auto const& c : cases) {
        INFO("age " << c.age << " skip " << c.skip);
        CHECK(admin::next_attempt(birth, c.mtime, birth + c.age, c.skip) == c.want);
    }
}

TEST_CASE("queue listing: a message not yet preprocessed", "[control][queue]")
{
    FakeQueue q;
    unsigned long const id = 77;
    q.put("mess", id, "hello\n", 1700000000);
    q.put("todo", id, "u0\0p123\0F\0Tone@example.org\0Ttwo@example.net\0"s);
    // A stale info/N from an interrupted preprocessing: todo/N wins, as for send.
    q.put("info", id, "Fold@example.org\0"s, 1600000000);
    q.put("local", id, "Told@example.org\0"s);
    auto m = admin::read_queued(q.path(), id);
    REQUIRE(m.ok());
    REQUIRE(m->has_value());
    CHECK(admin::format_message(**m, 1700000012)
        == "msg 77 arrived 2023-11-14T22:13:20Z age 12 size 6 from <> not yet preprocessed\n"
           "  pending <one@example.org>\n"
           "  pending <two@example.net>\n");
    CHECK(admin::arrival_time(q.path(), id) == 1700000000);
    admin::QueueStats stats;
    stats.add(**m);
    CHECK(stats.messages == 1);
    CHECK(stats.not_preprocessed == 1);
    CHECK(stats.unsorted_pending == 2);
    CHECK(stats.local_pending == 0);
}

TEST_CASE("queue listing: ids from info and todo, each once", "[control][queue]")
{
    FakeQueue q;
    q.put("todo", 5, "F\0"s);
    q.put("info", 5, "F\0"s);
    q.put("info", 100000, "F\0"s);
    q.put("todo", 23, "F\0"s);
    q.put("mess", 999, "orphan"); // neither info nor todo: not queued (yet)
    q.put("info", 24, "F\0"s);
    ::mkdir((q.path() + "/info/3/junk").c_str(), 0700);
    auto ids = admin::queued_ids(q.path());
    REQUIRE(ids.ok());
    CHECK(*ids == std::vector<unsigned long> { 5, 23, 24, 100000 });
}

TEST_CASE("queue listing: vanished, damaged and truncated messages", "[control][queue]")
{
    FakeQueue q;
    // Gone altogether (delivered while we looked): not an error.
    auto gone = admin::read_queued(q.path(), 42);
    REQUIRE(gone.ok());
    CHECK(!gone->has_value());
    CHECK(!admin::arrival_time(q.path(), 42));
    // info/N without mess/N is damage.
    q.put("info", 43, "Fa@b\0"s);
    auto damaged = admin::read_queued(q.path(), 43);
    REQUIRE(!damaged.ok());
    CHECK(damaged.error().text() == "info/N without mess/N");
    // A record without its NUL.
    q.put("mess", 44, "m");
    q.put("info", 44, "Fa@b\0"s);
    q.put("remote", 44, "Tx@y\0Tz@"s);
    auto truncated = admin::read_queued(q.path(), 44);
    REQUIRE(!truncated.ok());
    CHECK(truncated.error().text() == "truncated record in remote/N");
    // info/N with no sender record.
    q.put("mess", 45, "m");
    q.put("info", 45, "");
    auto nosender = admin::read_queued(q.path(), 45);
    REQUIRE(!nosender.ok());
    CHECK(nosender.error().text() == "no sender record in info/N");
    // mess/N alone (being injected): not a message yet.
    q.put("mess", 46, "m");
    auto injecting = admin::read_queued(q.path(), 46);
    REQUIRE(injecting.ok());
    CHECK(!injecting->has_value());
}

TEST_CASE("queue listing: addresses are one safe word", "[control][queue]")
{
    struct Case {
        std::string in;
        const char* want;
    };
    Case const cases[] = {
        { "", "<>" },
        { "a@example.org", "<a@example.org>" },
        { "\"a b\"@example.org", "<\"a\\x20b\"@example.org>" },
        { "a\\b@x", "<a\\x5cb@x>" },
        { "\x1b[31m@x", "<\\x1b[31m@x>" },
        { "t\xc3\xa9@x", "<t\\xc3\\xa9@x>" },
        { "a\nb\tc\x7f", "<a\\x0ab\\x09c\\x7f>" },
    };
    for (auto const& c : cases) {
        INFO(c.in);
        CHECK(admin::quote_address(c.in) == c.want);
    }
    CHECK(admin::utc_time(0) == "1970-01-01T00:00:00Z");
}
