#include "mess_scan.hpp"

#include "auto_conf.hpp"
#include "fd.hpp"
#include "queue_paths.hpp"
#include "temp_dir.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace {

using namespace std::string_literals;
using send::kOssified;

constexpr time_t kBase = 1'700'000'000; // the files' times; "now" is counted from here

// A queue tree (mess, todo, intd, info) in a temporary directory, which is the current
// directory meanwhile (send works relative to ROOT/queue).
class QueueDir {
public:
    QueueDir()
    {
        for (const char* dir : { "mess", "todo", "intd", "info" }) {
            REQUIRE(::mkdir(m_tmp.file(dir).c_str(), 0700) == 0);
            for (int i = 0; i < mta::conf::kSplit; ++i)
                REQUIRE(::mkdir(m_tmp.file(dir + "/"s + std::to_string(i)).c_str(), 0700) == 0);
        }
        char buf[4096];
        REQUIRE(::getcwd(buf, sizeof buf) != nullptr);
        m_old = buf;
        REQUIRE(::chdir(m_tmp.path().c_str()) == 0);
    }
    ~QueueDir() { (void)!::chdir(m_old.c_str()); }
    // mess/K/id with the given atime and mtime.
    void mess(unsigned long id, time_t atime, time_t mtime)
    {
        std::string const path = put(mta::kMessDir, id);
        timespec const times[2] = { { atime, 0 }, { mtime, 0 } };
        REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
    }
    std::string put(std::string_view dir, unsigned long id)
    {
        return m_tmp.write(mta::hashed_path(dir, id), "x");
    }

private:
    mta::test::TempDir m_tmp;
    std::string m_old;
};

void touch(std::string const& path)
{
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    ::close(fd);
}

// The log's lines so far.
struct Log {
    mta::Pipe pipe = must(mta::make_pipe());
    send::ActivityLog log { pipe.write_end.get() };

    static mta::Pipe must(mta::Result<mta::Pipe> p)
    {
        REQUIRE(p);
        return std::move(*p);
    }
    std::string text()
    {
        log.flush();
        REQUIRE(mta::set_nonblocking(pipe.read_end.get(), true));
        std::string all;
        char buf[4096];
        ssize_t n;
        while ((n = ::read(pipe.read_end.get(), buf, sizeof buf)) > 0)
            all.append(buf, static_cast<size_t>(n));
        return all;
    }
};

} // namespace

TEST_CASE("mess_scan: the 36-hour rule and the files that keep a message", "[send][mess_scan]")
{
    QueueDir q;
    Log log;
    time_t const now = kBase + kOssified;
    q.mess(1, kBase, kBase); // exactly 36 h: an orphan
    q.mess(2, kBase + 1, kBase); // read a second later: not yet
    q.mess(3, kBase, kBase + 1); // changed a second later: not yet
    q.mess(4, kBase - 86400, kBase - 86400);
    q.put(mta::kInfoDir, 4); // preprocessed (say, deferred for days): stays
    q.mess(5, kBase, kBase);
    q.put(mta::kTodoDir, 5); // queued, not preprocessed yet: stays
    q.mess(6, kBase, kBase);
    q.put(mta::kIntdDir, 6); // an injection that died: clean's sweep
    struct Case {
        unsigned long id;
        bool want;
    };
    for (auto const& c : { Case { 1, true }, Case { 2, false }, Case { 3, false },
             Case { 4, false }, Case { 5, false }, Case { 6, false }, Case { 7, false } }) {
        INFO("mess " << c.id);
        CHECK(send::is_orphan(c.id, now, log.log) == c.want);
    }
    CHECK(send::is_orphan(1, now - 1, log.log) == false);
    CHECK(log.text().empty()); // absent mess/7 (removed since listed) is no warning
}

TEST_CASE("mess_scan: a stat failing but for ENOENT keeps the message", "[send][mess_scan]")
{
    QueueDir q;
    Log log;
    time_t const now = kBase + 2 * kOssified;
    unsigned long const id = 3 * static_cast<unsigned long>(mta::conf::kSplit) + 1;
    q.mess(id, kBase, kBase);
    CHECK(send::is_orphan(id, now, log.log));
    // todo/K a file, not a directory: stat says ENOTDIR, which proves nothing.
    std::string const dir = mta::hashed_dir(mta::kTodoDir, id);
    REQUIRE(::rmdir(dir.c_str()) == 0);
    touch(dir);
    CHECK_FALSE(send::is_orphan(id, now, log.log));
    CHECK(log.text() == "warning: unable to stat " + mta::hashed_path(mta::kTodoDir, id) + "\n");
}

TEST_CASE(
    "mess_scan: a walk over every subdirectory, a bounded step at a time", "[send][mess_scan]")
{
    QueueDir q;
    Log log;
    time_t const now = kBase + kOssified;
    std::vector<unsigned long> want;
    for (unsigned long id = 100; id < 160; ++id) {
        q.mess(id, id % 2 ? kBase : kBase + 5, kBase); // even ids read 5 s later: young
        if (id % 2 && id % 3)
            want.push_back(id);
        else if (id % 3 == 0)
            q.put(mta::kInfoDir, id);
    }
    touch("mess/0/tmp.x"); // not a message number: passed over
    send::MessScan scan;
    CHECK_FALSE(scan.active());
    scan.start();
    std::vector<unsigned long> got;
    int steps = 0;
    while (scan.active() && steps < 1000) {
        ++steps;
        for (auto id : scan.next(7, now, log.log))
            got.push_back(id);
    }
    CHECK(steps >= 60 / 7);
    std::sort(got.begin(), got.end());
    CHECK(got == want);
    CHECK(log.text().empty());

    scan.start(); // a second walk sees the same
    got.clear();
    while (scan.active())
        for (auto id : scan.next(100, now, log.log))
            got.push_back(id);
    CHECK(got.size() == want.size());
}
