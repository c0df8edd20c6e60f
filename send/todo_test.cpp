#include "todo.hpp"

#include "auto_conf.hpp"
#include "config.hpp"
#include "fd.hpp"
#include "queue_paths.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

namespace {

using namespace std::string_literals;

// A queue tree in a temporary directory, which is the current directory meanwhile
// (send works relative to ROOT/queue).
class QueueDir {
public:
    QueueDir()
    {
        for (const char* dir : { "mess", "todo", "intd", "info", "local", "remote" }) {
            REQUIRE(::mkdir(m_tmp.file(dir).c_str(), 0700) == 0);
            for (int i = 0; i < mta::conf::kSplit; ++i)
                REQUIRE(::mkdir(m_tmp.file(dir + "/"s + std::to_string(i)).c_str(), 0700) == 0);
        }
        REQUIRE(::mkdir(m_tmp.file("bounce").c_str(), 0700) == 0);
        char buf[4096];
        REQUIRE(::getcwd(buf, sizeof buf) != nullptr);
        m_old = buf;
        REQUIRE(::chdir(m_tmp.path().c_str()) == 0);
    }
    ~QueueDir() { (void)!::chdir(m_old.c_str()); }
    void put(std::string_view dir, unsigned long id, std::string_view data)
    {
        m_tmp.write(mta::hashed_path(dir, id), data);
    }
    std::string get(std::string const& path)
    {
        auto text = mta::read_file(path, 1 << 20);
        return text ? *text : "(missing)";
    }

private:
    mta::test::TempDir m_tmp;
    std::string m_old;
};

std::vector<std::string> log_lines(int fd)
{
    std::string all;
    char buf[4096];
    ssize_t n;
    (void)mta::set_nonblocking(fd, true);
    while ((n = ::read(fd, buf, sizeof buf)) > 0)
        all.append(buf, static_cast<size_t>(n));
    std::vector<std::string> lines;
    size_t pos = 0, nl;
    while ((nl = all.find('\n', pos)) != std::string::npos) {
        lines.push_back(all.substr(pos, nl - pos));
        pos = nl + 1;
    }
    return lines;
}

} // namespace

TEST_CASE("todo: preprocessing writes info, local and remote", "[send][todo]")
{
    QueueDir q;
    send::Routing routing;
    routing.envnoathost = "here.example";
    routing.locals = send::make_domain_set({ "here.example" });
    routing.virtualdomains = send::make_virtual_domains({ "virt.example:vu" });
    q.put("mess", 100, "Subject: x\n\nhello\n"); // 18 bytes
    q.put("todo", 100, "u1000\0p4242\0Fann@here.example\0Tbob\0Tx@virt.example\0Tz@far.example\0"s);
    q.put("mess", 124, "m");
    q.put("todo", 124, "u0\0p1\0F\0Tone@far.example\0"s);
    q.put("info", 124, "Fstale\0"s); // left by an interrupted run: replaced
    q.put("local", 124, "Tstale@here.example\0"s);
    q.put("mess", 7, "m");
    q.put("todo", 7, "u0\0p1\0Tno@sender.example\0"s); // no F record: refused
    q.put("todo", 8, "u0\0p1\0F\0"s); // no mess/8: refused

    auto pipe = mta::make_pipe();
    REQUIRE(pipe.ok());
    send::ActivityLog log(pipe->write_end.get());
    send::TodoScan scan;
    CHECK(!scan.active());
    scan.start();
    std::vector<unsigned long> ids;
    while (scan.active())
        for (auto id : scan.next(2, log))
            ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    CHECK(ids == std::vector<unsigned long> { 7, 8, 100, 124 });

    auto ready = send::preprocess(ids, routing, log);
    log.flush();
    REQUIRE(ready.size() == 2);
    CHECK(ready[0].id == 100);
    CHECK((ready[0].has[0] && ready[0].has[1]));
    CHECK(ready[1].id == 124);
    CHECK((!ready[1].has[0] && ready[1].has[1]));

    CHECK(q.get("info/8/100") == "Fann@here.example\0"s);
    CHECK(q.get("local/8/100") == "Tbob@here.example\0Tvu-x@virt.example\0"s);
    CHECK(q.get("remote/8/100") == "Tz@far.example\0"s);
    CHECK(q.get("info/9/124") == "F\0"s);
    CHECK(q.get("local/9/124") == "(missing)");
    CHECK(q.get("remote/9/124") == "Tone@far.example\0"s);
    struct stat st;
    REQUIRE(::stat("info/8/100", &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    // todo/N stays: clean removes it once send has the files durable.
    CHECK(::stat("todo/8/100", &st) == 0);

    auto lines = log_lines(pipe->read_end.get());
    CHECK(std::find(lines.begin(), lines.end(), "new msg 100") != lines.end());
    CHECK(std::find(lines.begin(), lines.end(),
              "info msg 100: bytes 18 from <ann@here.example> qp 4242 uid 1000")
        != lines.end());
    CHECK(std::find(lines.begin(), lines.end(), "info msg 124: bytes 1 from <> qp 1 uid 0")
        != lines.end());
    CHECK(std::find(lines.begin(), lines.end(), "warning: no sender record in todo/7/7")
        != lines.end());
    CHECK(std::find(lines.begin(), lines.end(), "warning: unable to stat mess/8/8") != lines.end());
}

TEST_CASE("config: defaults and control files", "[send][config]")
{
    mta::test::TempDir root;
    REQUIRE(::mkdir(root.file("control").c_str(), 0755) == 0);
    std::string problem;
    auto none = send::load_config(root.path(), problem);
    REQUIRE(none.has_value());
    CHECK(none->routing.envnoathost == "envnoathost"); // no me: the files' own names
    CHECK(none->bouncehost == "bouncehost");
    CHECK(none->routing.locals.empty());
    CHECK(none->bouncefrom == "MAILER-DAEMON");
    CHECK(none->doublebounceto == "postmaster");
    CHECK(none->concurrency[0] == 10);
    CHECK(none->concurrency[1] == 20);
    CHECK(none->queuelifetime == 604800);

    root.write("control/me", "mx.example.org\n");
    root.write("control/concurrencyremote", "0\n");
    root.write("control/queuelifetime", "3600\n");
    root.write("control/virtualdomains", "# comment\nvirt.example:vu\n");
    auto some = send::load_config(root.path(), problem);
    REQUIRE(some.has_value());
    CHECK(some->routing.envnoathost == "mx.example.org");
    CHECK(some->doublebouncehost == "mx.example.org");
    CHECK(some->routing.locals.count("mx.example.org") == 1);
    CHECK(some->routing.virtualdomains.at("virt.example") == "vu");
    CHECK(some->concurrency[1] == 0);
    CHECK(some->queuelifetime == 3600);

    root.write("control/locals", "a.example\n");
    REQUIRE(send::reload_routing(root.path(), some->routing, problem));
    CHECK(some->routing.locals.count("a.example") == 1);
    CHECK(some->routing.locals.count("mx.example.org") == 0);

    root.write("control/concurrencylocal", "ten\n");
    CHECK(!send::load_config(root.path(), problem));
    CHECK(problem == "unable to read control/concurrencylocal: not a number");
    root.write("control/concurrencylocal", "-1\n");
    CHECK(!send::load_config(root.path(), problem));
    CHECK(problem == "unable to read control/concurrencylocal: number out of range");
}
