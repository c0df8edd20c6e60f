#include "fd.hpp"
#include "process.hpp"
#include "spawn_driver.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <map>
#include <sys/stat.h>
#include <unistd.h>

using namespace mta;
using mta::test::TempDir;

namespace {

std::string command(
    unsigned slot, std::string_view id, std::string_view sender, std::string_view recipient)
{
    return encode_command(slot, id, sender, recipient);
}

// Runs recipient's local part as a shell command (fd 0 the message, fd 1 and 2 the
// output); "now@..." answers at once without a child. report(): K on exit 0, D on 100,
// "Zcrashed" on a signal, else Z; then the output.
class FakeHook : public SpawnHook {
public:
    Started start(int message_fd, std::string const& sender, std::string const& recipient,
        int output_fd) override
    {
        ++started;
        last_sender = sender;
        std::string cmd = recipient.substr(0, recipient.rfind('@'));
        if (cmd == "now")
            return std::string("Kanswered at once\n");
        SpawnOptions opt;
        opt.fds = { { 0, message_fd }, { 1, output_fd }, { 2, output_fd } };
        auto child = Child::spawn({ "/bin/sh", "-c", cmd }, opt);
        REQUIRE(child.ok());
        return std::move(*child);
    }
    std::string report(ExitStatus status, std::string_view output) override
    {
        if (status.signaled)
            return "Zcrashed\n";
        std::string letter = status.exited_ok() ? "K" : status.exited_with(100) ? "D" : "Z";
        return letter + std::string(output);
    }
    int started = 0;
    std::string last_sender;
};

// Takes groups: the first recipient's local part runs as in FakeHook; each recipient's
// result is K, the output, and its place among the recipients that ran ("#0").
class GroupHook : public FakeHook {
public:
    bool takes_groups() const override { return true; }
    Started start_group(int message_fd, std::string const& sender,
        std::vector<std::string> const& recipients, int output_fd) override
    {
        groups.push_back(recipients);
        group_sender = sender;
        return start(message_fd, sender, recipients.at(0), output_fd);
    }
    std::vector<std::string> report_group(
        ExitStatus status, std::string_view output, size_t recipients) override
    {
        std::vector<std::string> out;
        for (size_t i = 0; i + (status.exited_with(99) ? 1 : 0) < recipients; ++i)
            out.push_back(report(status, output) + "#" + std::to_string(i));
        return out;
    }
    std::vector<std::vector<std::string>> groups;
    std::string group_sender;
};

struct Run {
    unsigned char hello = 0;
    std::map<unsigned, std::string> results; // slot -> letter and text of its last record
    std::vector<unsigned> order; // slots in the order of their records
    std::vector<std::string> texts; // letters and texts in the order of their records
    double seconds = 0;
};

std::string group(unsigned slot, std::string_view id, std::vector<std::string> const& recipients)
{
    return encode_group(slot, id, "s@x", recipients);
}

// Feeds input to serve_spawner over a pipe (closed afterwards) and collects the records.
Run serve(FakeHook& hook, SpawnerOptions const& options, std::string const& input)
{
    auto in = make_pipe();
    auto out = make_pipe();
    REQUIRE(in.ok());
    REQUIRE(out.ok());
    REQUIRE(input.size() < 60000); // fits the pipe: written before serving
    REQUIRE(write_all(in->write_end.get(), input).ok());
    REQUIRE(in->write_end.close().ok());
    auto t0 = std::chrono::steady_clock::now();
    REQUIRE(serve_spawner(hook, options, in->read_end.get(), out->write_end.get()).ok());
    Run run;
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    REQUIRE(out->write_end.close().ok());
    std::string all;
    char buf[4096];
    for (ssize_t n; (n = ::read(out->read_end.get(), buf, sizeof buf)) > 0;)
        all.append(buf, static_cast<size_t>(n));
    REQUIRE(!all.empty());
    run.hello = static_cast<unsigned char>(all[0]);
    size_t pos = 1;
    while (pos < all.size()) {
        size_t nul = all.find('\0', pos + 1);
        REQUIRE(nul != std::string::npos);
        REQUIRE(nul > pos + 1); // slot byte and letter at least
        unsigned slot = static_cast<unsigned char>(all[pos]);
        run.results[slot] = all.substr(pos + 1, nul - pos - 1);
        run.order.push_back(slot);
        run.texts.push_back(run.results[slot]);
        pos = nul + 1;
    }
    return run;
}

struct Queue {
    TempDir dir;
    Fd dirfd;
    SpawnerOptions options;
    Queue()
    {
        REQUIRE(::mkdir(dir.file("3").c_str(), 0755) == 0);
        dir.write("3/26", "Subject: x\n\nbody\n");
        auto fd = open_directory(dir.path());
        REQUIRE(fd.ok());
        dirfd = std::move(*fd);
        options.message_dir = dirfd.get();
        options.queue_uid = ::getuid();
        options.name = "testspawn";
    }
};

} // namespace

TEST_CASE(
    "a spawner announces its slots and runs deliveries to their result", "[lib][spawn_driver]")
{
    Queue q;
    FakeHook hook;
    std::string input = command(0, "3/26", "s@x", "cat@h") // fd 0 is the message
        + command(1, "3/26", "bounce", "exit 100@h") + command(2, "3/26", "", "now@h")
        + command(3, "3/26", "", "echo soft; exit 111@h") + command(4, "3/26", "", "kill -9 $$@h")
        + command(5, "3/26", "", "echo out; echo err >&2@h");
    Run run = serve(hook, q.options, input);
    CHECK(run.hello == 120);
    CHECK(hook.started == 6);
    CHECK(run.results[0] == "KSubject: x\n\nbody\n");
    CHECK(run.results[1] == "D");
    CHECK(run.results[2] == "Kanswered at once\n");
    CHECK(run.results[3] == "Zsoft\n");
    CHECK(run.results[4] == "Zcrashed\n");
    CHECK(run.results[5] == "Kout\nerr\n");
    CHECK(run.order.size() == 6);
}

TEST_CASE("a spawner refuses bad commands with spawn.c's results", "[lib][spawn_driver]")
{
    Queue q;
    REQUIRE(::mkfifo(q.dir.file("3/27").c_str(), 0644) == 0);
    REQUIRE(::mkdir(q.dir.file("3/28").c_str(), 0755) == 0);
    FakeHook hook;
    std::string input = command(200, "3/26", "", "cat@h") + command(1, "3/26", "", "nohost")
        + command(2, "3/x", "", "cat@h") + command(3, "3/99", "", "cat@h")
        + command(4, "3/27", "", "cat@h") + command(5, "3/28", "", "cat@h")
        + command(6, "3/26", "", "sleep 0.3@h") + command(6, "3/26", "", "cat@h");
    Run run = serve(hook, q.options, input);
    CHECK(hook.started == 1);
    CHECK(run.results[200] == "ZInternal error: delnum too big. (#4.3.5)\n");
    CHECK(run.results[1] == "DSorry, address must include host name. (#5.1.3)\n");
    CHECK(run.results[2] == "DInternal error: messid has nonnumerics. (#5.3.5)\n");
    CHECK(run.results[3] == "Ztestspawn unable to open message. (#4.3.0)\n");
    CHECK(run.results[4] == "ZSorry, message has wrong type. (#4.3.5)\n");
    CHECK(run.results[5] == "ZSorry, message has wrong type. (#4.3.5)\n");
    // The second command for slot 6 is refused while the first runs; then the first ends.
    REQUIRE(run.order.size() == 8);
    CHECK(run.order[6] == 6);
    CHECK(run.texts[6] == "ZInternal error: delnum in use. (#4.3.5)\n");
    CHECK(run.order[7] == 6);
    CHECK(run.texts[7] == "K");
}

TEST_CASE("a message owned by another account is refused", "[lib][spawn_driver]")
{
    Queue q;
    q.options.queue_uid = ::getuid() + 1;
    FakeHook hook;
    Run run = serve(hook, q.options, command(0, "3/26", "", "cat@h"));
    CHECK(hook.started == 0);
    CHECK(run.order.size() == 1);
    CHECK(run.results[0] == "ZSorry, message has wrong owner. (#4.3.5)\n");
}

TEST_CASE("deliveries run in parallel and report in the order they end", "[lib][spawn_driver]")
{
    Queue q;
    FakeHook hook;
    std::string input = command(0, "3/26", "", "sleep 3; echo slow@h");
    for (unsigned i = 1; i <= 20; ++i)
        input += command(i, "3/26", "", "sleep 1; echo " + std::to_string(i) + "@h");
    input += command(21, "3/26", "", "echo fast@h");
    Run run = serve(hook, q.options, input);
    REQUIRE(run.order.size() == 22);
    CHECK(run.order.front() == 21);
    CHECK(run.order.back() == 0);
    CHECK(run.results[0] == "Kslow\n");
    CHECK(run.results[7] == "K7\n");
    CHECK(run.seconds < 8.0); // one after the other: 20 x 1 s + 3 s = 23 s
}

TEST_CASE("long output is cut and drained", "[lib][spawn_driver]")
{
    Queue q;
    FakeHook hook;
    Run run = serve(hook, q.options,
        command(0, "3/26", "", "head -c 200000 /dev/zero | tr '\\0' x@h")
            + command(1, "3/26", "", "head -c 3000 /dev/zero | tr '\\0' y@h"));
    CHECK(run.results[0] == "K" + std::string(2966, 'x') + "\nError report too long, sorry.\n");
    CHECK(run.results[1] == "K" + std::string(3000, 'y'));
}

TEST_CASE(
    "output held open by a background process is given up after the grace", "[lib][spawn_driver]")
{
    Queue q;
    q.options.output_grace = std::chrono::milliseconds(200);
    FakeHook hook;
    Run run = serve(hook, q.options, command(0, "3/26", "", "echo started; sleep 3 & exit 0@h"));
    CHECK(run.results[0] == "Kstarted\n");
    CHECK(run.seconds < 2.0);
}

TEST_CASE(
    "output with a NUL ends the text there; the record stays well formed", "[lib][spawn_driver]")
{
    Queue q;
    FakeHook hook;
    Run run = serve(hook, q.options, command(9, "3/26", "", "printf 'a\\0b'@h"));
    CHECK(run.results[9] == "Ka");
}

TEST_CASE("an inherited SIGCHLD SIG_IGN does not lose exit statuses", "[lib][spawn_driver]")
{
    Queue q;
    FakeHook hook;
    auto old = std::signal(SIGCHLD, SIG_IGN);
    Run run = serve(hook, q.options, command(0, "3/26", "", "exit 100@h"));
    std::signal(SIGCHLD, old);
    CHECK(run.results[0] == "D");
}

TEST_CASE("a spawner with half a command at end of input drops it", "[lib][spawn_driver]")
{
    Queue q;
    FakeHook hook;
    Run run = serve(hook, q.options,
        command(0, "3/26", "", "now@h")
            + std::string("\x01"
                          "3/26",
                5));
    CHECK(run.order.size() == 1);
    CHECK(hook.started == 1);
}

TEST_CASE("delivery_environment keeps only PATH, TZ and sanitizer options", "[lib][spawn_driver]")
{
    auto env = delivery_environment();
    bool has_path = false;
    for (auto const& e : env) {
        std::string name = e.substr(0, e.find('='));
        CHECK((name == "PATH" || name == "TZ" || name == "ASAN_OPTIONS" || name == "UBSAN_OPTIONS"
            || name == "LSAN_OPTIONS"));
        has_path = has_path || name == "PATH";
    }
    CHECK(has_path);
}

TEST_CASE("a group gets one result per recipient, in order, refusals in place",
    "[lib][spawn_driver][group]")
{
    Queue q;
    GroupHook hook;
    std::string input = group(4, "3/26", { "sleep 0.2; cat@h", "nohost", "b@h", "c@h" })
        + command(5, "3/26", "", "now@h");
    Run run = serve(hook, q.options, input);
    REQUIRE(hook.groups.size() == 1);
    CHECK(hook.groups[0] == std::vector<std::string> { "sleep 0.2; cat@h", "b@h", "c@h" });
    CHECK(hook.group_sender == "s@x");
    // The single command's result comes first: the group's are written when it ends.
    REQUIRE(run.order == std::vector<unsigned> { 5, 4, 4, 4, 4 });
    std::string const body = "KSubject: x\n\nbody\n";
    CHECK(run.texts[1] == body + "#0");
    CHECK(run.texts[2] == "DSorry, address must include host name. (#5.1.3)\n");
    CHECK(run.texts[3] == body + "#1");
    CHECK(run.texts[4] == body + "#2");
}

TEST_CASE("a group's problems never desynchronise the results", "[lib][spawn_driver][group]")
{
    Queue q;
    SECTION("a hook without groups: Z for every recipient")
    {
        FakeHook hook;
        Run run = serve(hook, q.options,
            group(1, "3/26", { "a@h", "b@h", "c@h" }) + command(2, "3/26", "", "now@h"));
        CHECK(hook.started == 1);
        REQUIRE(run.order == std::vector<unsigned> { 1, 1, 1, 2 });
        for (int i = 0; i < 3; ++i)
            CHECK(run.texts[i] == "Ztestspawn does not take recipient groups. (#4.3.0)\n");
        CHECK(run.texts[3] == "Kanswered at once\n");
    }
    SECTION("refusals of the whole command, the message file, a short report")
    {
        GroupHook hook;
        std::vector<std::string> many(101, "a@h");
        std::string input = group(200, "3/26", { "a@h", "b@h" }) + group(1, "3/x", { "a@h" })
            + group(2, "3/99", { "a@h", "noat", "b@h" }) + group(3, "3/26", many)
            + group(4, "3/26", { "exit 99@h", "b@h", "c@h" }) + group(6, "3/26", { "x", "y" })
            + std::string("\x07+3/26\0s\0\0", 10) + command(8, "3/26", "", "now@h");
        Run run = serve(hook, q.options, input);
        CHECK(hook.groups.size() == 1);
        REQUIRE(run.order.size() == 2 + 1 + 3 + 101 + 3 + 2 + 1);
        CHECK(run.texts[0] == "ZInternal error: delnum too big. (#4.3.5)\n");
        CHECK(run.texts[1] == run.texts[0]);
        CHECK(run.texts[2] == "DInternal error: messid has nonnumerics. (#5.3.5)\n");
        CHECK(run.texts[3] == "Ztestspawn unable to open message. (#4.3.0)\n");
        CHECK(run.texts[4] == "DSorry, address must include host name. (#5.1.3)\n");
        CHECK(run.texts[5] == run.texts[3]);
        for (size_t i = 6; i < 107; ++i)
            CHECK(run.texts[i] == "ZInternal error: too many recipients in group. (#4.3.5)\n");
        // Nothing ran for slot 6 (no recipient with '@'); slot 7's group was empty.
        CHECK(run.order[107] == 6);
        CHECK(run.texts[107] == "DSorry, address must include host name. (#5.1.3)\n");
        CHECK(run.order[109] == 8);
        // The hook gave two results for three recipients: the last is a Z.
        CHECK(run.order[110] == 4);
        CHECK(run.texts[110] == "Z#0");
        CHECK(run.texts[111] == "Z#1");
        CHECK(run.texts[112] == "Ztestspawn got no report from the delivery. (#4.3.0)\n");
    }
}
