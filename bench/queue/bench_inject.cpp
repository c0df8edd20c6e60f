// bench_inject - injects COUNT messages of SIZE bytes with PARALLEL concurrent injectors
// and prints "messages/s peak_rss_kib failures".
//
//     bench_inject queue  ROOT/bin/queue  5000 4 4096
//     bench_inject inject ROOT/bin/inject 5000 4 4096
//
// queue mode runs the queue program as lib/queue_client does (message on fd 0, envelope on
// fd 1); inject mode runs `inject -f sender rcpt` with the message on fd 0. Each injector
// is a process that starts one injection after the other and waits for it. The peak is
// the largest ru_maxrss wait4() reports: in inject mode that is inject or its queue child,
// whichever is bigger. Any exit code but 0 counts as a failure.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

struct Totals {
    long peak_kib = 0;
    long failures = 0;
};

void write_all(int fd, std::string const& data)
{
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n <= 0)
            return; // the program died: its exit code tells
        done += static_cast<size_t>(n);
    }
}

// One injection; returns its exit status and adds its peak memory.
int inject_one(bool queue_mode, char const* program, std::string const& message,
    std::string const& envelope, Totals& totals)
{
    int msg[2], env[2];
    if (::pipe(msg) == -1 || ::pipe(env) == -1)
        std::exit(111);
    pid_t pid = ::fork();
    if (pid == -1)
        std::exit(111);
    if (pid == 0) {
        ::dup2(msg[0], 0);
        if (queue_mode)
            ::dup2(env[0], 1);
        for (int fd : { msg[0], msg[1], env[0], env[1] })
            ::close(fd);
        if (queue_mode)
            ::execl(program, program, static_cast<char*>(nullptr));
        else
            ::execl(program, program, "-f", "bench@example.org", "rcpt@example.net",
                static_cast<char*>(nullptr));
        ::_exit(120);
    }
    ::close(msg[0]);
    ::close(env[0]);
    write_all(msg[1], message);
    ::close(msg[1]);
    if (queue_mode)
        write_all(env[1], envelope);
    ::close(env[1]);
    int status = 0;
    rusage usage {};
    ::wait4(pid, &status, 0, &usage);
    totals.peak_kib = std::max(totals.peak_kib, usage.ru_maxrss);
    return status;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 6) {
        std::fprintf(stderr, "usage: bench_inject queue|inject PROGRAM COUNT PARALLEL SIZE\n");
        return 100;
    }
    bool const queue_mode = std::string(argv[1]) == "queue";
    char const* program = argv[2];
    long const count = std::atol(argv[3]);
    int const parallel = std::atoi(argv[4]);
    size_t const size = static_cast<size_t>(std::atol(argv[5]));

    std::string message = "From: bench@example.org\nTo: rcpt@example.net\nSubject: bench\n\n";
    while (message.size() < size)
        message += "The quick brown fox jumps over the lazy dog, again and again.\n";
    message.resize(size);
    message.back() = '\n';
    std::string const envelope
        = std::string("Fbench@example.org") + '\0' + "Trcpt@example.net" + '\0' + '\0';

    int report[2];
    if (::pipe(report) == -1)
        return 111;
    auto const start = std::chrono::steady_clock::now();
    for (int w = 0; w < parallel; ++w) {
        if (::fork() == 0) {
            ::close(report[0]);
            Totals totals;
            for (long i = w; i < count; i += parallel) {
                if (inject_one(queue_mode, program, message, envelope, totals) != 0)
                    ++totals.failures;
            }
            ssize_t n = ::write(report[1], &totals, sizeof totals);
            ::_exit(n == sizeof totals ? 0 : 111);
        }
    }
    ::close(report[1]);
    Totals all;
    Totals one;
    while (::read(report[0], &one, sizeof one) == sizeof one) {
        all.peak_kib = std::max(all.peak_kib, one.peak_kib);
        all.failures += one.failures;
    }
    while (::wait(nullptr) > 0) { }
    double const seconds
        = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%.1f %ld %ld\n", static_cast<double>(count) / seconds, all.peak_kib, all.failures);
    return all.failures == 0 ? 0 : 1;
}
