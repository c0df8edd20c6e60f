#include "service_dirs.hpp"

#include <catch2/catch.hpp>

using namespace admin;

TEST_CASE("shell_quote", "[control][service_dirs]")
{
    CHECK(shell_quote("/var/mail-suite") == "'/var/mail-suite'");
    CHECK(shell_quote("it's") == "'it'\\''s'");
}

TEST_CASE("run scripts name the installed programs", "[control][service_dirs]")
{
    std::string const send = send_run_script("/r oot");
    CHECK(send.rfind("#!/bin/sh\n", 0) == 0);
    CHECK(send.find("exec 2>&1\n") != std::string::npos);
    CHECK(send.find("exec '/r oot/bin/start' \"$dd\"\n") != std::string::npos);

    std::string const log = log_run_script("/r", "smtp");
    CHECK(log.find("exec '/r/bin/setuidgid' msl '/r/bin/multilog' t s1000000 n20 '/r/log/smtp'\n")
        != std::string::npos);

    Listen smtps { "smtps", "::1", 465 };
    std::string const run = listener_run_script("/r", smtps, 64000000);
    CHECK(run.find("host='::1'\n") != std::string::npos);
    CHECK(run.find("SMTPS=1\nexport SMTPS\n") != std::string::npos);
    CHECK(run.find("exec '/r/bin/softlimit' -m 64000000") != std::string::npos);
    CHECK(run.find("-x '/r/control/tcp.smtp.cdb' -u msd -g msnofiles \"$host\" 465")
        != std::string::npos);
    CHECK(run.find("'/r/bin/smtpd'\n") != std::string::npos);

    Listen smtp { "smtp", "*", 25 };
    std::string const any = listener_run_script("/r", smtp, 0);
    CHECK(any.find("host=::\n") != std::string::npos);
    CHECK(any.find("softlimit") == std::string::npos);
    CHECK(any.find("SMTPS") == std::string::npos);
}

TEST_CASE("submission and mailbox services", "[control][service_dirs]")
{
    std::string const sub = listener_run_script("/r", Listen { "submission", "*", 587 }, 0);
    CHECK(sub.find("SUBMISSION=1\nexport SUBMISSION\n") != std::string::npos);
    CHECK(sub.find("-u msd -g msnofiles \"$host\" 587") != std::string::npos);

    // pop3d and imapd drop privileges themselves: no -u/-g, no SMTP rules.
    std::string const pop3s = listener_run_script("/r", Listen { "pop3s", "*", 995 }, 0);
    CHECK(pop3s.find("POP3S=1\nexport POP3S\n") != std::string::npos);
    CHECK(pop3s.find(" -u ") == std::string::npos);
    CHECK(pop3s.find("tcp.smtp") == std::string::npos);
    CHECK(pop3s.find("-C 10 \\\n    \"$host\" 995 \\\n    '/r/bin/pop3d'\n") != std::string::npos);
    std::string const imap = listener_run_script("/r", Listen { "imap", "*", 143 }, 0);
    CHECK(imap.find("'/r/bin/imapd'\n") != std::string::npos);
    CHECK(imap.find("IMAPS") == std::string::npos);
}
