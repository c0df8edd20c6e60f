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
