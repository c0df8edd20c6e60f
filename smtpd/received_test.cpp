#include "received.hpp"

#include <catch2/catch.hpp>

using namespace smtpd;

TEST_CASE("smtpd received: qmail's form with RFC 3848 names", "[smtpd][received]")
{
    time_t const when = 1709802301; // 7 Mar 2024 09:05:01 UTC
    ReceivedInfo info { "mx.example.org", "192.0.2.1", "", "mx.example.org", "mail.example.net",
        true, false, "", "" };
    CHECK(received_line(info, when)
        == "Received: from mx.example.org (192.0.2.1)\n"
           "  by mail.example.net with ESMTP; 7 Mar 2024 09:05:01 -0000\n");
    info.helo = "Other<Name>";
    info.remote_info = "joe";
    info.tls = "TLSv1.3 TLS_AES_256_GCM_SHA384";
    CHECK(received_line(info, when)
        == "Received: from mx.example.org (HELO Other?Name?) (joe@192.0.2.1)\n"
           "  by mail.example.net with ESMTPS (TLSv1.3 TLS_AES_256_GCM_SHA384); "
           "7 Mar 2024 09:05:01 -0000\n");
    info.helo = "MX.EXAMPLE.ORG";
    info.utf8 = true;
    CHECK(received_line(info, when).find("(HELO") == std::string::npos);
    CHECK(protocol_name(info) == "UTF8SMTPS");
    info.tls = "";
    CHECK(protocol_name(info) == "UTF8SMTP");
    info.utf8 = false;
    info.esmtp = false;
    CHECK(protocol_name(info) == "SMTP");
    CHECK(safe_text("a b\r\n\xc3(x)") == "a?b????x?");
    CHECK(safe_text("uid 1000", true) == "uid 1000");
}

TEST_CASE("smtpd received: the authenticated user", "[smtpd][received][auth]")
{
    time_t const when = 1709802301;
    ReceivedInfo info { "localhost", "127.0.0.1", "", "", "mail.example.net", true, false,
        "TLSv1.3 TLS_AES_256_GCM_SHA384", "u@example.test" };
    CHECK(received_line(info, when)
        == "Received: from localhost (127.0.0.1)\n"
           "  by mail.example.net with ESMTPSA (TLSv1.3 TLS_AES_256_GCM_SHA384) "
           "(authenticated as u@example.test); 7 Mar 2024 09:05:01 -0000\n");
    info.tls = "";
    CHECK(protocol_name(info) == "ESMTPA");
    info.esmtp = false;
    CHECK(protocol_name(info) == "ESMTPA");
    info.utf8 = true;
    CHECK(protocol_name(info) == "UTF8SMTPA");
    info.auth = "a b)@x";
    CHECK(received_line(info, when).find("(authenticated as a?b?@x)") != std::string::npos);
}
