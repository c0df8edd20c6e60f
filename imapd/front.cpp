#include "front.hpp"

#include "buffer.hpp"
#include "exit_codes.hpp"
#include "front_policy.hpp"
#include "log.hpp"
#include "login.hpp"
#include "login_front.hpp"
#include "parser.hpp"
#include "session.hpp"
#include "tls.hpp"

#include <algorithm>
#include <string>
#include <unistd.h>

namespace imapd {

namespace {

using mta::login::bye;
using mta::login::FrontConnection;
using mta::login::FrontSetup;
using mta::login::set_up_or_exit;
using mta::login::start_tls_or_exit;

constexpr int kPreLoginTimeoutMs = 5 * 60 * 1000;

// The answer to the login, then bytes to and from the session until the end.
[[noreturn]] void logged_in(FrontConnection& c, std::string const& tag)
{
    c.in.set_timeout(0); // the session keeps its own timeouts
    if (!c.out.put(tag + " OK [CAPABILITY " + capabilities() + "] logged in\r\n") || !c.out.flush())
        bye(c, mta::kExitOk);
    (void)mta::login::relay(c.in, c.out);
    bye(c, mta::kExitOk);
}

LoginStep next_step(FrontConnection& c, CommandReader& reader, Login& login, bool sasl)
{
    std::string text;
    if (sasl) {
        auto got = c.in.get_line(text, kMaxLine);
        if (!got || *got != mta::LineStatus::line)
            bye(c, mta::kExitOk);
        if (!text.empty() && text.back() == '\r')
            text.pop_back();
        return login.sasl_response(text);
    }
    auto got = reader.read(text);
    if (!got) {
        if (got.error().errnum == ETIMEDOUT)
            (void)c.out.put("* BYE autologout: idle for too long\r\n");
        bye(c, mta::kExitOk);
    }
    if (*got == ReadStatus::eof)
        bye(c, mta::kExitOk);
    if (*got != ReadStatus::command) {
        LoginStep s;
        Cursor cursor(text);
        auto tag = cursor.tag();
        s.reply = (tag ? *tag : std::string("*")) + " BAD [TOOBIG] command too long\r\n";
        return s;
    }
    return login.handle(text);
}

// Asks the monitor about the step's login (and wipes its password); a good login ends in
// logged_in(), a failed one gives the failure's step.
LoginStep authenticate(FrontConnection& c, Login& login, LoginStep& step)
{
    auto answer = mta::login::ask_monitor(step.login, step.password);
    std::fill(step.password.begin(), step.password.end(), '\0');
    if (!answer)
        mta::log::fatal(mta::kExitTemp, "lost the monitor", answer.error());
    if (*answer == mta::login::Answer::good)
        logged_in(c, step.tag);
    return login.login_failed(*answer == mta::login::Answer::temporary);
}

// Sends the step's reply (flushed unless more commands are buffered: pipelining) and
// carries out its action; true when a SASL response line comes next.
bool carry_out(FrontConnection& c, Login& login, LoginStep const& step, FrontSetup const& setup)
{
    if (!c.out.put(step.reply))
        bye(c, mta::kExitOk);
    if (step.action == LoginAction::logout)
        bye(c, mta::kExitOk);
    if (step.action == LoginAction::starttls) {
        if (!c.out.flush())
            bye(c, mta::kExitOk);
        c.in.discard_buffered(); // nothing sent before TLS counts after it
        start_tls_or_exit(c, *setup.tls);
        login.tls_started();
        return false;
    }
    if (!c.in.has_buffered() && !c.out.flush())
        bye(c, mta::kExitOk);
    return step.action == LoginAction::sasl_continue;
}

} // namespace

int run_front(bool implicit_tls)
{
    FrontConnection c(kPreLoginTimeoutMs);
    FrontSetup const setup = set_up_or_exit(c, implicit_tls);
    Login login(LoginPolicy { setup.tls.has_value(), setup.loopback, implicit_tls });
    if (!c.out.put("* OK [CAPABILITY " + login.capabilities() + "] mail-suite IMAP ready\r\n")
        || !c.out.flush())
        bye(c, mta::kExitOk);
    CommandReader reader(c.in, c.out, false); // no 64 MiB APPEND before login
    bool sasl = false;
    for (;;) {
        LoginStep step = next_step(c, reader, login, sasl);
        if (step.action == LoginAction::authenticate)
            step = authenticate(c, login, step);
        sasl = carry_out(c, login, step, setup);
    }
}

} // namespace imapd
