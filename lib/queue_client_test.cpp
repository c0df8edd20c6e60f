#include "exit_codes.hpp"
#include "fd.hpp"
#include "queue_client.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <sys/stat.h>

using namespace mta;
using mta::test::TempDir;
using namespace std::string_literals;

namespace {

// Points $QMAILQUEUE at a fake queue program for one test case.
class FakeQueue {
public:
    // The fake stores fd 0 in DIR/message, fd 1 in DIR/envelope and its working directory
    // in DIR/cwd, then runs `tail` (shell code: exit N, a reply on fd 6, ...).
    FakeQueue(TempDir const& dir, std::string const& tail)
        : m_dir(dir)
    {
        std::string script = "#!/bin/sh\n"
                             "cat > '"
            + dir.file("message") + "'\ncat <&1 > '" + dir.file("envelope") + "'\npwd > '"
            + dir.file("cwd") + "'\n" + tail + "\n";
        install(script);
    }
    // A fake made of the script text alone.
    FakeQueue(TempDir const& dir, std::string const& script, bool)
        : m_dir(dir)
    {
        install(script);
    }
    ~FakeQueue() { ::unsetenv("QMAILQUEUE"); }

    std::string read(std::string const& name) const
    {
        auto text = read_file(m_dir.file(name), 1 << 24);
        REQUIRE(text.ok());
        return *text;
    }

private:
    void install(std::string const& script)
    {
        std::string path = m_dir.write("fake-queue", script, 0755);
        REQUIRE(::setenv("QMAILQUEUE", path.c_str(), 1) == 0);
    }

    TempDir const& m_dir;
};

QueueResult queue_one(std::string const& root, std::string const& message)
{
    auto q = QueueClient::open(root);
    REQUIRE(q.ok());
    CHECK(q->pid() > 0);
    q->put(message);
    q->from("sender@example.org");
    q->to("a@example.net");
    q->to("b@example.net");
    return q->close();
}

} // namespace

TEST_CASE("the client writes the message on fd 0 and the envelope on fd 1", "[lib][queue_client]")
{
    TempDir dir;
    FakeQueue fake(dir, "exit 0");
    auto q = QueueClient::open(dir.path());
    REQUIRE(q.ok());
    pid_t const pid = q->pid();
    CHECK(pid > 0);
    std::string const big(200000, 'b'); // more than a pipe holds
    q->put("Subject: hi\n\n");
    q->put(big);
    q->from("");
    q->to("rcpt@example.net");
    QueueResult r = q->close();
    CHECK(r.ok());
    CHECK(r.exit_code == 0);
    CHECK(r.text.empty());
    CHECK_FALSE(r.permanent());
    CHECK(q->pid() == pid);
    CHECK(fake.read("message") == "Subject: hi\n\n" + big);
    CHECK(fake.read("envelope") == "F\0Trcpt@example.net\0\0"s);
    CHECK(fake.read("cwd") == dir.path() + "\n"); // qmail.c runs it in QMAILHOME
}

TEST_CASE("close maps the queue's exit codes to qmail.c's texts", "[lib][queue_client]")
{
    struct Case {
        int code;
        std::string want;
    };
    Case const cases[] = {
        { 11, "Denvelope address too long for qq (#5.1.3)" },
        { 31, "Dmail server permanently rejected message (#5.3.0)" },
        { 20, "Dqq permanent problem (#5.3.0)" },
        { 53, "Zqq write error or disk full (#4.3.0)" },
        { 54, "Zqq read error (#4.3.0)" },
        { 64, "Zqq trouble creating files in queue (#4.3.0)" },
        { 91, "Zqq internal bug (#4.3.0)" },
        { 77, "Zqq temporary problem (#4.3.0)" },
    };
    for (auto const& c : cases) {
        INFO("exit " << c.code);
        TempDir dir;
        FakeQueue fake(dir, "exit " + std::to_string(c.code));
        QueueResult r = queue_one(dir.path(), "x\n");
        CHECK(r.exit_code == c.code);
        CHECK(r.text == c.want);
        CHECK_FALSE(r.ok());
        CHECK(r.permanent() == queue_exit_is_permanent(c.code));
        CHECK(fake.read("envelope") == "Fsender@example.org\0Ta@example.net\0Tb@example.net\0\0"s);
    }
}

TEST_CASE("queue_exit_text follows qmail.c", "[lib][queue_client]")
{
    CHECK(queue_exit_text(0).empty());
    CHECK(queue_exit_text(115) == "Denvelope address too long for qq (#5.1.3)");
    CHECK(queue_exit_text(51) == "Zqq out of memory (#4.3.0)");
    CHECK(queue_exit_text(52) == "Zqq timeout (#4.3.0)");
    CHECK(queue_exit_text(55) == "Zqq unable to read configuration (#4.3.0)");
    CHECK(queue_exit_text(56) == "Zqq trouble making network connection (#4.3.0)");
    CHECK(queue_exit_text(61) == "Zqq trouble in home directory (#4.3.0)");
    for (int code : { 62, 63, 65, 66 })
        CHECK(queue_exit_text(code) == "Zqq trouble creating files in queue (#4.3.0)");
    CHECK(queue_exit_text(71) == "Zmail server temporarily rejected message (#4.3.0)");
    CHECK(queue_exit_text(72) == "Zconnection to mail server timed out (#4.4.1)");
    CHECK(queue_exit_text(73) == "Zconnection to mail server rejected (#4.4.1)");
    CHECK(queue_exit_text(74) == "Zcommunication with mail server failed (#4.4.2)");
    CHECK(queue_exit_text(81) == "Zqq internal bug (#4.3.0)");
    CHECK(queue_exit_text(120) == "Zunable to exec qq (#4.3.0)");
    CHECK(queue_exit_text(40) == "Dqq permanent problem (#5.3.0)");
    CHECK(queue_exit_text(41) == "Zqq temporary problem (#4.3.0)");
    CHECK(queue_exit_text(10) == "Zqq temporary problem (#4.3.0)");
}

TEST_CASE("exit 82 relays the D or Z text written on fd 6", "[lib][queue_client]")
{
    struct Case {
        std::string reply;
        std::string want;
    };
    Case const cases[] = {
        { "printf 'Dno thanks (#5.7.1)\\n' >&6", "Dno thanks (#5.7.1)" },
        { "printf 'Ztry later (#4.3.0)' >&6", "Ztry later (#4.3.0)" },
        { "printf 'Done\\rtwo' >&6", "Done" },
        { "printf 'hello' >&6", "Zqq temporary problem (#4.3.0)" },
        { "printf 'D' >&6", "Zqq temporary problem (#4.3.0)" },
        { "true", "Zqq temporary problem (#4.3.0)" },
    };
    for (auto const& c : cases) {
        INFO(c.reply);
        TempDir dir;
        FakeQueue fake(dir, c.reply + "; exit 82");
        QueueResult r = queue_one(dir.path(), "x\n");
        CHECK(r.exit_code == 82);
        CHECK(r.text == c.want);
        CHECK(r.permanent() == (c.want[0] == 'D'));
    }
    TempDir dir;
    FakeQueue fake(dir, "head -c 5000 /dev/zero | tr '\\0' D >&6; exit 82");
    CHECK(queue_one(dir.path(), "x").text == std::string(1000, 'D'));
}

TEST_CASE("a queue program that cannot be run is exit 120", "[lib][queue_client]")
{
    TempDir dir;
    REQUIRE(::setenv("QMAILQUEUE", dir.file("missing").c_str(), 1) == 0);
    QueueResult r = queue_one(dir.path(), "x\n");
    ::unsetenv("QMAILQUEUE");
    CHECK(r.exit_code == 120);
    CHECK(r.text == "Zunable to exec qq (#4.3.0)");

    // Without $QMAILQUEUE the program is ROOT/bin/queue.
    TempDir root;
    REQUIRE(::mkdir(root.file("bin").c_str(), 0755) == 0);
    root.write("bin/queue", "#!/bin/sh\ncat >/dev/null; cat <&1 >/dev/null; exit 71\n", 0755);
    CHECK(queue_one(root.path(), "x\n").exit_code == 71);
}

TEST_CASE("a queue program that dies early is reported, not SIGPIPE", "[lib][queue_client]")
{
    TempDir dir;
    FakeQueue fake(dir, "#!/bin/sh\nexit 61\n", true);
    QueueResult r = queue_one(dir.path(), std::string(1 << 20, 'm'));
    CHECK(r.exit_code == 61);
    CHECK(r.text == "Zqq trouble in home directory (#4.3.0)");

    // Exit 0 although our side could not write everything: the queue saw a broken stream.
    TempDir dir2;
    FakeQueue fake2(dir2, "#!/bin/sh\nexec 0<&-\ncat <&1 >/dev/null\nexit 0\n", true);
    QueueResult r2 = queue_one(dir2.path(), std::string(1 << 20, 'm'));
    CHECK(r2.exit_code == 0);
    CHECK(r2.text == "Zqq read error (#4.3.0)");
    CHECK_FALSE(r2.ok());
}

TEST_CASE("a queue program killed by a signal is reported as crashed", "[lib][queue_client]")
{
    TempDir dir;
    FakeQueue fake(dir, "kill -9 $$");
    QueueResult r = queue_one(dir.path(), "x\n");
    CHECK(r.exit_code == 128 + 9);
    CHECK(r.text == "Zqq crashed (#4.3.0)");
}

TEST_CASE("a client dropped without close ends both streams and waits", "[lib][queue_client]")
{
    TempDir dir;
    FakeQueue fake(dir, "echo ended > '" + dir.file("marker") + "'; exit 54");
    {
        auto q = QueueClient::open(dir.path());
        REQUIRE(q.ok());
        q->put("partial message");
        q->from("s@example.org");
        q->to("r@example.org");
    }
    CHECK(fake.read("marker") == "ended\n");
    CHECK(fake.read("message") == "partial message");
    // The envelope never got its final NUL (buffered records may not even be sent).
    std::string const envelope = fake.read("envelope");
    CHECK(envelope.find("\0\0"s) == std::string::npos);

    // Without from(): close() ends both streams; the envelope is empty.
    TempDir dir2;
    FakeQueue fake2(dir2, "exit 54");
    auto q = QueueClient::open(dir2.path());
    REQUIRE(q.ok());
    q->put("m");
    QueueResult r = q->close();
    CHECK(r.exit_code == 54);
    CHECK(fake2.read("envelope").empty());
}
