// local - deliver one message to one local address by following its .qmail file (Maildir,
// mbox, program and forward lines), compatible with qmail-local. Run by lspawn as the
// recipient with the message on fd 0; see docs/man/local.8.md.
//
// Protocol with lspawn: exit 0 delivered (stdout "did F+W+P", "qp N" after a forward),
// 100 permanent failure, 111 temporary failure; the failure text is one line on stderr,
// with no program name in front (it becomes the bounce or log text).
#include "deliver.hpp"
#include "exit_codes.hpp"
#include "fd.hpp"
#include "log.hpp"
#include "process.hpp"

#include <ctime>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace {

[[noreturn]] void die(local::Failure const& failure)
{
    if (!failure.text.empty())
        (void)mta::write_all(2, failure.text + "\n");
    _exit(failure.exit_code);
}

template <class T> T must(local::Outcome<T> outcome)
{
    if (!outcome)
        die(outcome.failure());
    return std::move(*outcome);
}

int run(int argc, char** argv)
{
    ::umask(077);
    mta::ignore_sigpipe();
    local::Args const args = must(local::parse_args(argc, argv));
    local::Recipient const& r = args.recipient;
    if (must(local::enter_home(r, args.doit)))
        (void)mta::write_all(2, "Warning: home directory is sticky.\n");
    local::AddedLines const lines = local::added_lines(r, ::time(nullptr));
    if (args.doit) {
        if (local::Fail f = local::check_message(0, lines.dtline))
            die(*f);
    }
    local::Plan const plan = must(local::choose_instructions(r));
    std::string said;
    local::Counts const counts = must(local::execute(args, lines, plan, 0, said));
    (void)mta::write_all(1, said + local::report(counts)); // delivered even if this fails
    return mta::kExitOk;
}

} // namespace

int main(int argc, char** argv)
{
    return mta::run_main("local", [&] { return run(argc, argv); });
}
