// disk_cycles - how many "create, write 4 KB, fsync, link, fsync directory" cycles the
// disk under DIR sustains per second with WRITERS processes, the durable-write limit the
// queue is compared with. Prints "cycles/s".
//
//     disk_cycles DIR WRITERS SECONDS
//
// Each writer creates DIR/tmp/W.I (O_EXCL), writes 4096 bytes, fsyncs it, links it to
// DIR/done/W.I and fsyncs DIR/done, over and over for SECONDS seconds. The files stay
// until the end (like a queue filling up) and are removed afterwards, outside the timing.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

[[noreturn]] void fail(char const* what)
{
    std::perror(what);
    ::_exit(111);
}

long run_writer(std::string const& dir, int writer, double seconds)
{
    std::string const block(4096, 'q');
    std::string const done_dir = dir + "/done";
    auto const end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    long cycles = 0;
    while (std::chrono::steady_clock::now() < end) {
        std::string const name = std::to_string(writer) + "." + std::to_string(cycles);
        std::string const tmp = dir + "/tmp/" + name;
        int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd == -1)
            fail("open");
        if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size()))
            fail("write");
        if (::fsync(fd) == -1)
            fail("fsync");
        ::close(fd);
        if (::link(tmp.c_str(), (done_dir + "/" + name).c_str()) == -1)
            fail("link");
        int d = ::open(done_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (d == -1 || ::fsync(d) == -1)
            fail("fsync directory");
        ::close(d);
        ++cycles;
    }
    return cycles;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 4) {
        std::fprintf(stderr, "usage: disk_cycles DIR WRITERS SECONDS\n");
        return 100;
    }
    std::string const dir = argv[1];
    int const writers = std::atoi(argv[2]);
    double const seconds = std::atof(argv[3]);
    if (::mkdir((dir + "/tmp").c_str(), 0755) == -1 || ::mkdir((dir + "/done").c_str(), 0755) == -1)
        fail("mkdir");
    int report[2];
    if (::pipe(report) == -1)
        fail("pipe");
    auto const start = std::chrono::steady_clock::now();
    for (int w = 0; w < writers; ++w) {
        if (::fork() == 0) {
            long cycles = run_writer(dir, w, seconds);
            ::_exit(::write(report[1], &cycles, sizeof cycles) == sizeof cycles ? 0 : 111);
        }
    }
    ::close(report[1]);
    long total = 0;
    long one = 0;
    while (::read(report[0], &one, sizeof one) == sizeof one)
        total += one;
    while (::wait(nullptr) > 0) { }
    double const elapsed
        = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%.1f\n", static_cast<double>(total) / elapsed);
    return 0;
}
