#include "service_status.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace mta;

TEST_CASE("encode_status writes daemontools' 18 bytes", "[lib][service_status]")
{
    ServiceStatus s;
    s.changed.tv_sec = 1709802301; // 0x65e9833d
    s.changed.tv_nsec = 123456789; // 0x075bcd15
    s.pid = 0x01020304;
    s.paused = true;
    s.want = 'd';
    std::string const bytes = encode_status(s);
    std::string const want("\x40\x00\x00\x00\x65\xe9\x83\x47" // 2^62 + 10 + seconds
                           "\x07\x5b\xcd\x15" // nanoseconds, big-endian
                           "\x04\x03\x02\x01" // pid, little-endian
                           "\x01"
                           "d",
        18);
    CHECK(bytes == want);
    auto back = decode_status(bytes);
    REQUIRE(back.ok());
    CHECK(back->changed.tv_sec == s.changed.tv_sec);
    CHECK(back->changed.tv_nsec == s.changed.tv_nsec);
    CHECK(back->pid == s.pid);
    CHECK(back->paused);
    CHECK(back->want == 'd');
}

TEST_CASE("decode_status refuses short records", "[lib][service_status]")
{
    auto r = decode_status(std::string(17, '\0'));
    REQUIRE(!r.ok());
    CHECK(std::string(r.error().what) == "bad format");
    ServiceStatus once;
    once.want = '\0';
    auto back = decode_status(encode_status(once));
    REQUIRE(back.ok());
    CHECK(back->want == '\0');
    CHECK(back->pid == 0);
}

TEST_CASE("describe_status speaks svstat's words", "[lib][service_status]")
{
    struct Case {
        pid_t pid;
        bool paused;
        char want;
        bool normally_up;
        const char* text;
    };
    Case const cases[] = {
        { 123, false, 'u', true, "up (pid 123) 45 seconds" },
        { 123, false, 'u', false, "up (pid 123) 45 seconds, normally down" },
        { 0, false, 'd', true, "down 45 seconds, normally up" },
        { 0, false, 'd', false, "down 45 seconds" },
        { 0, false, 'u', true, "down 45 seconds, normally up, want up" },
        { 7, true, 'd', true, "up (pid 7) 45 seconds, paused, want down" },
        { 7, false, '\0', true, "up (pid 7) 45 seconds" },
    };
    for (auto const& c : cases) {
        ServiceStatus s;
        s.changed.tv_sec = 1000;
        s.pid = c.pid;
        s.paused = c.paused;
        s.want = c.want;
        CHECK(describe_status(s, c.normally_up, 1045) == c.text);
    }
    ServiceStatus future;
    future.changed.tv_sec = 2000;
    future.want = 'd';
    CHECK(describe_status(future, false, 1000) == "down 0 seconds");
}

TEST_CASE("fifos: no reader is ENXIO, a reader takes the commands", "[lib][service_status]")
{
    test::TempDir dir;
    REQUIRE(::mkdir(dir.file("supervise").c_str(), 0700) == 0);
    auto missing = supervise_running(dir.path());
    REQUIRE(missing.ok());
    CHECK(!*missing);
    REQUIRE(::mkfifo(dir.file("supervise/ok").c_str(), 0600) == 0);
    REQUIRE(::mkfifo(dir.file("supervise/control").c_str(), 0600) == 0);
    CHECK(!*supervise_running(dir.path()));
    auto refused = send_control(dir.path(), "d");
    REQUIRE(!refused.ok());
    CHECK(refused.error().errnum == ENXIO);

    int ok = ::open(dir.file("supervise/ok").c_str(), O_RDONLY | O_NONBLOCK);
    int control = ::open(dir.file("supervise/control").c_str(), O_RDONLY | O_NONBLOCK);
    REQUIRE(ok >= 0);
    REQUIRE(control >= 0);
    CHECK(*supervise_running(dir.path()));
    REQUIRE(send_control(dir.path(), "dx").ok());
    char buf[8] = {};
    CHECK(::read(control, buf, sizeof buf) == 2);
    CHECK(std::string(buf) == "dx");
    ::close(ok);
    ::close(control);

    CHECK(!read_restarts(dir.path()));
    dir.write("supervise/restarts", "42\n");
    CHECK(read_restarts(dir.path()) == 42ul);
}
