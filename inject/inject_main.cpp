// inject - put a message into the queue, fixing its header first (qmail-inject).
// See docs/man/inject.8.md. Exit codes: 0 queued (or printed with -n), 100 permanent
// failure (usage, a header or address that cannot be parsed, no recipients, the queue
// refused the message), 111 temporary failure; one line on stderr says which.
#include "buffer.hpp"
#include "log.hpp"
#include "process.hpp"
#include "run.hpp"

int main(int argc, char** argv)
{
    return mta::run_main("inject", [&] {
        auto const options = inject::options_or_die(argc, argv);
        mta::ignore_sigpipe();
        auto const root = inject::root_or_die();
        auto const setup = inject::setup_or_die(root, options);
        mta::Reader in(0);
        auto const header = inject::header_or_die(in);
        auto const message = inject::message_or_die(header, setup);
        auto const recipients = inject::recipients_or_die(options, setup, message);
        if (options.print)
            return inject::print_message(message, header, in);
        return inject::queue_message(root, message, recipients, header, in);
    });
}
