// spawn_cost - CPU of the per-message process starts of the reception path (issue 5).
//
//     spawn_cost [-u UID] exec PROGRAM COUNT          fork + exec PROGRAM, /dev/null on fd 0, 1
//     spawn_cost [-u UID] queue ROOT COUNT SIZE       COUNT messages of SIZE bytes into ROOT
//
// exec: COUNT times fork(), exec PROGRAM with /dev/null on fd 0 and 1, wait. Prints the
// children's CPU per exec (getrusage RUSAGE_CHILDREN, user + system) in ms.
// queue: COUNT times mta::QueueClient::open(ROOT) (lib/queue_client: the code smtpd and
// inject run, Child::spawn of ROOT/bin/queue), a SIZE-byte message, one recipient, close.
// Prints "parent_ms children_ms total_ms wall_ms failures" per message: the parent's own CPU
// (RUSAGE_SELF: fork's page-table copy or posix_spawn's clone, the pipes, the writes) and
// the queue processes' CPU (fsyncs included), and the wall time per message.
// -u UID: setuid(UID) first (the queue's caller, e.g. msd's uid; needs root).
// Build (after make): g++ -std=c++20 -O2 -Ilib -Ibuild/gen bench/queue/spawn_cost.cpp
//     build/libmta.a -lcdb -lcrypt -o build/bench/spawn_cost
#include "queue_client.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

double cpu_ms(int who)
{
    rusage ru {};
    ::getrusage(who, &ru);
    return (double(ru.ru_utime.tv_sec) + double(ru.ru_stime.tv_sec)) * 1e3
        + (double(ru.ru_utime.tv_usec) + double(ru.ru_stime.tv_usec)) / 1e3;
}

[[noreturn]] void usage()
{
    std::fputs("usage: spawn_cost [-u UID] exec PROGRAM COUNT | queue ROOT COUNT SIZE\n", stderr);
    std::exit(100);
}

int run_exec(char const* program, long count)
{
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null == -1)
        return 111;
    long failures = 0;
    for (long i = 0; i < count; ++i) {
        pid_t pid = ::fork();
        if (pid == -1)
            return 111;
        if (pid == 0) {
            ::dup2(null, 0);
            ::dup2(null, 1);
            ::execl(program, program, static_cast<char*>(nullptr));
            ::_exit(120);
        }
        int wstat = 0;
        ::waitpid(pid, &wstat, 0);
        if (!WIFEXITED(wstat) || WEXITSTATUS(wstat) == 120)
            ++failures;
    }
    std::printf("%.3f %ld\n", cpu_ms(RUSAGE_CHILDREN) / double(count), failures);
    return 0;
}

int run_queue(std::string const& root, long count, size_t size)
{
    std::string message = "Subject: bench\n\n";
    while (message.size() < size)
        message += std::string(71, 'x') + "\n";
    message.resize(size);
    message.back() = '\n';
    long failures = 0;
    double const self0 = cpu_ms(RUSAGE_SELF);
    auto const start = std::chrono::steady_clock::now();
    for (long i = 0; i < count; ++i) {
        auto q = mta::QueueClient::open(root);
        if (!q) {
            ++failures;
            continue;
        }
        q->put(message);
        q->from("bench@example.org");
        q->to("rcpt@example.net");
        if (!q->close().ok())
            ++failures;
    }
    std::chrono::duration<double, std::milli> const wall = std::chrono::steady_clock::now() - start;
    double const self = (cpu_ms(RUSAGE_SELF) - self0) / double(count);
    double const children = cpu_ms(RUSAGE_CHILDREN) / double(count);
    std::printf("%.3f %.3f %.3f %.3f %ld\n", self, children, self + children,
        wall.count() / double(count), failures);
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    int at = 1;
    if (at + 1 < argc && std::strcmp(argv[at], "-u") == 0) {
        uid_t const uid = uid_t(std::strtoul(argv[at + 1], nullptr, 10));
        if (::setuid(uid) == -1) {
            std::perror("setuid");
            return 111;
        }
        at += 2;
    }
    if (at + 3 <= argc && std::strcmp(argv[at], "exec") == 0)
        return run_exec(argv[at + 1], std::atol(argv[at + 2]));
    if (at + 4 <= argc && std::strcmp(argv[at], "queue") == 0)
        return run_queue(argv[at + 1], std::atol(argv[at + 2]), size_t(std::atol(argv[at + 3])));
    usage();
}
