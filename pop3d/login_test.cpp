#include "login.hpp"

#include "command.hpp"

#include <catch2/catch.hpp>

using namespace pop3d;

TEST_CASE("pop3d login: USER and PASS", "[pop3d]")
{
    Login login(Policy { true, true, false });
    CHECK(login.handle_line("PASS x").reply == "-ERR USER first\r\n");
    CHECK(login.handle_line("USER u@example.test").reply == "+OK send PASS\r\n");
    Step s = login.handle_line("PASS a secret");
    CHECK(s.action == Action::authenticate);
    CHECK(s.login == "u@example.test");
    CHECK(s.password == "a secret");
    CHECK(login.handle_line("PASS again").reply == "-ERR USER first\r\n");
}

TEST_CASE("pop3d login: plaintext refused without TLS on a distant address", "[pop3d]")
{
    Login login(Policy { true, false, false });
    CHECK(login.capabilities().find("USER") == std::string::npos);
    CHECK(login.capabilities().find("STLS") != std::string::npos);
    CHECK(login.handle_line("USER u").reply.find("plaintext login refused") != std::string::npos);
    CHECK(login.handle_line("AUTH PLAIN AHUAcA==").reply.find("refused") != std::string::npos);
    Step s = login.handle_line("STLS");
    CHECK(s.action == Action::starttls);
    login.tls_started();
    CHECK(login.capabilities().find("STLS") == std::string::npos);
    CHECK(login.capabilities().find("SASL PLAIN") != std::string::npos);
    CHECK(login.handle_line("STLS").reply == "-ERR TLS is already active\r\n");
    CHECK(login.handle_line("AUTH PLAIN AHUAcA==").action == Action::authenticate);
}

TEST_CASE("pop3d login: AUTH PLAIN", "[pop3d]")
{
    Login login(Policy { false, true, false });
    CHECK(login.handle_line("AUTH PLAIN").reply == "+ \r\n");
    Step s = login.handle_line("AHVAZXhhbXBsZS50ZXN0AHB3\r");
    CHECK(s.action == Action::authenticate);
    CHECK(s.login == "u@example.test");
    CHECK(s.password == "pw");
    // authzid equal to the login is fine; another one is not
    s = login.handle_line("AUTH plain dUBleGFtcGxlLnRlc3QAdUBleGFtcGxlLnRlc3QAcHc=");
    CHECK(s.action == Action::authenticate);
    CHECK(login.handle_line("AUTH PLAIN eAB1AHA=").reply.find("another user") != std::string::npos);
    CHECK(login.handle_line("AUTH LOGIN").reply.find("unsupported") != std::string::npos);
    CHECK(login.handle_line("STLS").reply.find("not available") != std::string::npos);
}

TEST_CASE("pop3d login: failures and errors close the connection", "[pop3d]")
{
    Login login(Policy { false, true, false });
    CHECK(login.login_failed(true).reply.find("[SYS/TEMP]") != std::string::npos);
    CHECK(login.login_failed(false).action == Action::none);
    CHECK(login.login_failed(false).action == Action::none);
    CHECK(login.login_failed(false).action == Action::close);
    Login noisy(Policy {});
    for (int i = 1; i < kMaxErrors; ++i)
        CHECK(noisy.handle_line("BAD").action == Action::none);
    CHECK(noisy.handle_line("BAD").action == Action::close);
    CHECK(Login(Policy {}).handle_line("QUIT").action == Action::quit);
}
