#include "log_lines.hpp"

#include <catch2/catch.hpp>

using namespace tcpserver;

TEST_CASE("tcpserver log lines: ucspi-tcp's shapes", "[tcpserver]")
{
    CHECK(status_line(1, 40) == "tcpserver: status: 1/40");
    CHECK(pid_line(1234, "127.0.0.1") == "tcpserver: pid 1234 from 127.0.0.1");
    CHECK(end_line(1234, 25600) == "tcpserver: end 1234 status 25600");
    CHECK(perip_line(5, 5, "::1") == "tcpserver: perip 5/5 from ::1");

    Endpoints e;
    e.local_ip = "127.0.0.1";
    e.local_port = "25";
    e.local_host = "0";
    e.remote_ip = "127.0.0.1";
    e.remote_port = "41532";
    CHECK(verdict_line(false, 1234, e) == "tcpserver: ok 1234 0:127.0.0.1:25 :127.0.0.1::41532");
    e.remote_host = "mx.example.org";
    e.remote_info = "joe";
    CHECK(verdict_line(true, 9, e)
        == "tcpserver: deny 9 0:127.0.0.1:25 mx.example.org:127.0.0.1:joe:41532");
    e.v6 = true;
    e.remote_ip = "::1";
    e.local_host.reset();
    e.local_ip = "::1";
    e.remote_host.reset();
    e.remote_info.reset();
    CHECK(verdict_line(false, 9, e) == "tcpserver: ok 9 :::1:25 :::1::41532");
}

TEST_CASE("tcpserver log lines: safecats", "[tcpserver]")
{
    CHECK(safe_text("a:b%c d\x01\x7f") == "a?b?c?d??");
    CHECK(safe_text(std::string(100, 'x')) == std::string(100, 'x'));
    CHECK(safe_text(std::string(101, 'x')) == std::string(100, 'x') + "...");
}
