#include "login.hpp"

#include <catch2/catch.hpp>

using namespace imapd;

TEST_CASE("pre-login commands", "[imapd][login]")
{
    Login distant({ true, false, false });
    CHECK(distant.capabilities() == "IMAP4rev1 LITERAL+ SASL-IR ID STARTTLS LOGINDISABLED");
    auto refused = distant.handle("a LOGIN bob secret");
    CHECK(refused.action == LoginAction::none);
    CHECK(refused.reply == "a NO [PRIVACYREQUIRED] use STARTTLS first\r\n");
    auto tls = distant.handle("b STARTTLS");
    CHECK(tls.action == LoginAction::starttls);
    distant.tls_started();
    CHECK(distant.capabilities() == "IMAP4rev1 LITERAL+ SASL-IR ID AUTH=PLAIN");
    CHECK(distant.handle("c STARTTLS").reply == "c BAD STARTTLS not available\r\n");
    auto login = distant.handle("d LOGIN {3}\r\nbob \"se\\\"cret\"");
    CHECK(login.action == LoginAction::authenticate);
    CHECK(login.tag == "d");
    CHECK(login.login == "bob");
    CHECK(login.password == "se\"cret");

    Login local({ false, true, false });
    CHECK(local.capabilities() == "IMAP4rev1 LITERAL+ SASL-IR ID AUTH=PLAIN");
    auto ir = local.handle("e AUTHENTICATE PLAIN AGJvYgBzZWNyZXQ=");
    CHECK(ir.action == LoginAction::authenticate);
    CHECK(ir.login == "bob");
    CHECK(ir.password == "secret");
    auto cont = local.handle("f AUTHENTICATE plain");
    CHECK(cont.action == LoginAction::sasl_continue);
    CHECK(cont.reply == "+ \r\n");
    auto resp = local.sasl_response("AGJvYgBzZWNyZXQ=");
    CHECK(resp.action == LoginAction::authenticate);
    CHECK(resp.tag == "f");
    CHECK(local.handle("g AUTHENTICATE PLAIN YWxpY2UAYm9iAHNlY3JldA==").reply
        == "g NO [AUTHORIZATIONFAILED] cannot act as another user\r\n");
    CHECK(local.handle("h SELECT INBOX").reply == "h BAD log in first\r\n");
    CHECK(local.handle("LOGIN").reply == "* BAD missing tag or command\r\n");
    CHECK(local.handle("i LOGOUT").action == LoginAction::logout);

    CHECK(local.login_failed(true).reply == "i NO [UNAVAILABLE] login temporarily unavailable\r\n");
    CHECK(local.login_failed(false).action == LoginAction::none);
    CHECK(local.login_failed(false).action == LoginAction::none);
    auto last = local.login_failed(false);
    CHECK(last.action == LoginAction::logout);
    CHECK(last.reply.find("* BYE too many failures") != std::string::npos);
}
