// deliver_bench - end-to-end delivery timing: COUNT messages of SIZE bytes submitted by
// PARALLEL concurrent submitters, timed until COUNT files are in the Maildir's new/.
// Prints "e2e_msg/s accept_msg/s failures delivered seconds cpu_ms_per_msg submit_ms_per_msg".
//
//     deliver_bench NEWDIR COUNT PARALLEL SIZE TIMEOUT RCPT -- PROGRAM [ARGS...]
//
// Each submitter is a process that runs PROGRAM ARGS... (for example `inject -f s rcpt`
// or `sendmail -C dir -f s rcpt`) one run after the other with the message on fd 0, and
// waits for it. The clock starts before the first submission; NEWDIR is counted (names
// not starting with '.') every 50 ms, and the clock stops at the first count >= COUNT.
// accept_msg/s is COUNT over the time until the last submitter finished. cpu_ms_per_msg is
// the whole machine's busy CPU time (/proc/stat: all but idle and iowait) over the run,
// divided by COUNT, so other load on the machine is included. submit_ms_per_msg is the CPU
// time (user + system) of the submissions alone: the programs run and the processes they
// waited for (inject and its queue; sendmail and its postdrop), per message. The exit code is 0
// when every submission exited 0 and COUNT files arrived within TIMEOUT seconds, 1 otherwise (the
// line is printed either way, with delivered < COUNT on a timeout).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <poll.h>
#include <signal.h>
#include <sstream>
#include <string>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

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

// One submission; returns its wait status.
int submit_one(char** argv, std::string const& message)
{
    int msg[2];
    if (::pipe(msg) == -1)
        std::exit(111);
    pid_t pid = ::fork();
    if (pid == -1)
        std::exit(111);
    if (pid == 0) {
        ::dup2(msg[0], 0);
        ::close(msg[0]);
        ::close(msg[1]);
        ::execv(argv[0], argv);
        ::_exit(120);
    }
    ::close(msg[0]);
    write_all(msg[1], message);
    ::close(msg[1]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return status;
}

long count_files(char const* dir)
{
    DIR* d = ::opendir(dir);
    if (d == nullptr)
        return -1;
    long n = 0;
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] != '.')
            ++n;
    }
    ::closedir(d);
    return n;
}

// Busy CPU time of the whole machine so far, in clock ticks.
long long busy_ticks()
{
    std::ifstream stat("/proc/stat");
    std::string line;
    std::getline(stat, line);
    std::istringstream in(line);
    std::string cpu;
    long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
    return user + nice + system + irq + softirq + steal;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 9 || std::strcmp(argv[7], "--") != 0) {
        std::fprintf(stderr,
            "usage: deliver_bench NEWDIR COUNT PARALLEL SIZE TIMEOUT RCPT -- "
            "PROGRAM [ARGS...]\n");
        return 100;
    }
    char const* new_dir = argv[1];
    long const count = std::atol(argv[2]);
    int const parallel = std::atoi(argv[3]);
    size_t const size = static_cast<size_t>(std::atol(argv[4]));
    double const timeout = std::atof(argv[5]);
    std::string const rcpt = argv[6];
    char** program = argv + 8;

    std::string message = "From: bench@example.org\nTo: " + rcpt + "\nSubject: bench\n\n";
    while (message.size() < size)
        message += "The quick brown fox jumps over the lazy dog, again and again.\n";
    message.resize(size);
    message.back() = '\n';

    int report[2];
    if (::pipe(report) == -1)
        return 111;
    long long const ticks0 = busy_ticks();
    auto const start = Clock::now();
    std::vector<pid_t> submitters;
    for (int w = 0; w < parallel; ++w) {
        pid_t pid = ::fork();
        if (pid == -1)
            return 111;
        if (pid == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL); // run.sh's trap stops the parent only
            ::close(report[0]);
            long failures = 0;
            for (long i = w; i < count; i += parallel) {
                if (submit_one(program, message) != 0)
                    ++failures;
            }
            ssize_t n = ::write(report[1], &failures, sizeof failures);
            ::_exit(n == sizeof failures ? 0 : 111);
        }
        submitters.push_back(pid);
    }
    ::close(report[1]);

    long failures = 0;
    int reported = 0;
    bool report_open = true;
    double accept_seconds = 0;
    long delivered = 0;
    auto const deadline = start + std::chrono::duration<double>(timeout);
    for (;;) {
        pollfd p { report[0], POLLIN, 0 };
        int ready = ::poll(&p, report_open ? 1 : 0, 50);
        if (ready > 0) {
            long one = 0;
            ssize_t n = ::read(report[0], &one, sizeof one);
            if (n == sizeof one) {
                failures += one;
                ++reported;
            } else {
                report_open = false;
                ::close(report[0]);
                accept_seconds = std::chrono::duration<double>(Clock::now() - start).count();
                failures += parallel - reported; // a submitter that died unreported
            }
        }
        delivered = count_files(new_dir);
        if (delivered >= count || Clock::now() >= deadline)
            break;
    }
    auto const end = Clock::now();
    long long const ticks1 = busy_ticks();
    if (report_open) { // timed out with submitters still running
        for (pid_t pid : submitters)
            ::kill(pid, SIGKILL);
        failures += parallel - reported;
    }
    while (::wait(nullptr) > 0) { }
    double const seconds = std::chrono::duration<double>(end - start).count();
    if (accept_seconds == 0 || accept_seconds > seconds)
        accept_seconds = seconds; // the last file can be seen before the last submitter ends
    double const cpu_ms = static_cast<double>(ticks1 - ticks0) * 1000.0
        / static_cast<double>(::sysconf(_SC_CLK_TCK)) / static_cast<double>(count);
    rusage children {};
    ::getrusage(RUSAGE_CHILDREN, &children);
    auto const ms = [](timeval const& t) {
        return static_cast<double>(t.tv_sec) * 1000.0 + static_cast<double>(t.tv_usec) / 1000.0;
    };
    double const submit_ms
        = (ms(children.ru_utime) + ms(children.ru_stime)) / static_cast<double>(count);
    std::printf("%.1f %.1f %ld %ld %.2f %.2f %.2f\n", static_cast<double>(count) / seconds,
        static_cast<double>(count) / accept_seconds, failures, delivered, seconds, cpu_ms,
        submit_ms);
    return failures == 0 && delivered >= count ? 0 : 1;
}
