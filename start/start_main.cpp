// start - starts the delivery processes (qmail-start): send, lspawn, rspawn (when
// installed) and clean, wired by pipes, each under its own account, then becomes send
// itself, so supervise's signals reach send. `start [defaultdelivery [logger args...]]`,
// run as root; see docs/man/start.8.md. Exit codes: 111 when something cannot be set up
// (one line on stderr); on success the process is send and exits as send does.
#include "launch.hpp"
#include "log.hpp"

int main(int argc, char** argv)
{
    return mta::run_main("start", [&]() -> int {
        start::hold_signals_for_send();
        start::Args const args = start::parse_args(argc, argv);
        start::Setup const setup = start::setup_or_die();
        int const log_fd = start::start_logger_or_die(setup, args);
        start::Pipes pipes = start::make_pipes_or_die();
        start::start_helpers_or_die(setup, args, pipes);
        start::become_send(setup, log_fd, pipes);
    });
}
