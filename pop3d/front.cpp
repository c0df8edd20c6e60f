// The front: everything a client says before it has logged in, as msd.
#include "processes.hpp"

#include "buffer.hpp"
#include "command.hpp"
#include "control.hpp"
#include "exit_codes.hpp"
#include "front_policy.hpp"
#include "log.hpp"
#include "login.hpp"
#include "login_front.hpp"
#include "tls.hpp"

#include <algorithm>
#include <ctime>
#include <string>
#include <unistd.h>

namespace pop3d {

namespace {

using mta::login::bye;
using mta::login::FrontConnection;
using mta::login::FrontSetup;
using mta::login::set_up_or_exit;
using mta::login::start_tls_or_exit;

std::string greeting(std::string const& root)
{
    auto me = mta::control::read_line(root + "/control/me");
    std::string const host = me && *me ? **me : std::string("localhost");
    return "+OK mail-suite POP3 server ready <" + std::to_string(::getpid()) + "."
        + std::to_string(::time(nullptr)) + "@" + host + ">\r\n";
}

// The next line (in `line`, wiped afterwards) through the login state machine; the end
// of input, an I/O error or the idle timeout end the front.
Step next_step(FrontConnection& c, Login& login, std::string& line)
{
    auto got = c.in.get_line(line, kMaxLineBytes);
    if (!got) {
        if (got.error().errnum == ETIMEDOUT)
            (void)c.out.put("-ERR autologout: idle for too long\r\n");
        bye(c, 0);
    }
    if (*got == mta::LineStatus::eof || *got == mta::LineStatus::partial)
        bye(c, 0);
    Step step;
    if (*got == mta::LineStatus::too_long) {
        if (!c.in.skip_line())
            bye(c, 0);
        step.reply = "-ERR line too long\r\n";
    } else {
        step = login.handle_line(line);
    }
    std::fill(line.begin(), line.end(), '\0');
    return step;
}

// Asks the monitor about the step's login (and wipes its password). After a good login
// the front relays bytes between the client and the session until either side closes;
// otherwise the failure's step comes back.
Step authenticate(FrontConnection& c, Login& login, Step& step)
{
    auto answer = mta::login::ask_monitor(step.login, step.password);
    std::fill(step.password.begin(), step.password.end(), '\0');
    if (!answer)
        mta::log::fatal(mta::kExitTemp, answer.error().text());
    if (*answer == mta::login::Answer::good) {
        (void)mta::login::relay(c.in, c.out);
        bye(c, mta::kExitOk);
    }
    return login.login_failed(*answer == mta::login::Answer::temporary);
}

// Sends the step's reply (flushed unless more commands are buffered: pipelining) and
// carries out its action.
void carry_out(FrontConnection& c, Login& login, Step const& step, FrontSetup const& setup)
{
    if (!c.out.put(step.reply))
        bye(c, 0);
    if (step.action == Action::quit || step.action == Action::close)
        bye(c, 0);
    if (step.action == Action::starttls) {
        if (!c.out.flush())
            bye(c, 0);
        c.in.discard_buffered(); // RFC 2595: nothing sent before TLS counts after it
        start_tls_or_exit(c, *setup.tls);
        login.tls_started();
        return;
    }
    if (!c.in.has_buffered() && !c.out.flush())
        bye(c, 0);
}

} // namespace

int run_front(bool implicit_tls)
{
    FrontConnection c(kIdleTimeoutMs);
    FrontSetup const setup = set_up_or_exit(c, implicit_tls);
    Login login(Policy { setup.tls.has_value(), setup.loopback, implicit_tls });
    if (!c.out.put(greeting(setup.root)) || !c.out.flush())
        bye(c, 0);
    std::string line;
    for (;;) {
        Step step = next_step(c, login, line);
        if (step.action == Action::authenticate)
            step = authenticate(c, login, step);
        carry_out(c, login, step, setup);
    }
}

} // namespace pop3d
