// smtpd - the SMTP server, run by tcpserver with the connection on fd 0 and 1 (like
// qmail-smtpd, with ESMTP, BDAT, STARTTLS and implicit TLS). See docs/man/smtpd.8.md.
// Exit codes: 0 when the session ended (QUIT, end of input between messages, timeout, a
// refused connection), 100 on a usage error, 111 when it could not be served (controls,
// the install root, the TLS key in implicit-TLS mode) or the input ended inside a message.
#include "config.hpp"
#include "env.hpp"
#include "exit_codes.hpp"
#include "install_root.hpp"
#include "log.hpp"
#include "process.hpp"
#include "session.hpp"

#include <string>
#include <unistd.h>
#include <variant>

namespace {

// Tells the client before giving up: qmail-smtpd's "421 unable to read controls".
[[noreturn]] void temp_setup(std::string const& what, mta::Error error)
{
    static char const kReply[] = "421 4.3.0 unable to read controls\r\n";
    (void)!::write(1, kReply, sizeof kReply - 1);
    mta::log::fatal(mta::kExitTemp, what, error);
}

smtpd::Config config_or_die(int argc, char** argv)
{
    auto options = smtpd::parse_options(argc, argv);
    if (!options)
        mta::log::fatal(mta::kExitPerm, "usage: smtpd [-s] [-L]");
    auto root = mta::install_root();
    if (!root)
        temp_setup("unable to find the install root", root.error());
    if (::chdir(root->c_str()) == -1)
        temp_setup("unable to switch to " + *root, mta::Error::from_errno("chdir"));
    auto config = smtpd::load_config(*root, *options, mta::env_get);
    if (auto* bad = std::get_if<smtpd::ConfigError>(&config))
        temp_setup("unable to read " + bad->path, bad->error);
    return std::get<smtpd::Config>(std::move(config));
}

} // namespace

int main(int argc, char** argv)
{
    return mta::run_main("smtpd", [&] {
        auto const config = config_or_die(argc, argv);
        mta::ignore_sigpipe();
        smtpd::Session session(config);
        session.serve();
        return mta::kExitOk;
    });
}
