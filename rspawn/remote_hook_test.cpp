#include "remote_hook.hpp"

#include <catch2/catch.hpp>

using namespace std::string_literals;

TEST_CASE("remote's records become one result as qmail-rspawn makes it", "[rspawn]")
{
    struct Case {
        std::string output, want;
    };
    Case const cases[] = {
        { "r\0Kmx[1.2.3.4] accepted message.\n\0"s, "Kmx[1.2.3.4] accepted message.\n" },
        { "r\0Zfailed after.\n\0"s, "Zfailed after.\n" },
        { "hno such user.\n\0DGiving up.\n\0"s, "Dno such user.\nGiving up.\n" },
        { "sfull.\n\0DGiving up.\n\0"s, "Zfull.\nGiving up.\n" },
        { "sfull.\n\0Kaccepted.\n\0"s, "Zfull.\n" },
        { "ZSorry, no connection.\n\0"s, "ZSorry, no connection.\n" },
        { "DSorry, no host.\n\0"s, "DSorry, no host.\n" },
        { "Dcut without NUL"s, "Dcut without NUL" },
        { ""s, "Zremote produced no output.\n" },
        { "r\0"s, "Zremote produced no message record.\n" },
    };
    for (auto const& c : cases) {
        INFO(c.output);
        CHECK(rspawn::report_remote({ false, 0 }, c.output) == c.want);
    }
    CHECK(rspawn::report_remote({ true, 11 }, "") == "Zremote crashed.\n");
    CHECK(rspawn::report_remote({ false, 111 }, "") == "ZUnable to run remote.\n");
    CHECK(rspawn::report_remote({ false, 120 }, "") == "ZUnable to run remote.\n");
    CHECK(rspawn::report_remote({ false, 100 }, "") == "DUnable to run remote.\n");
}

TEST_CASE("a delivery gets the host after the recipient's last @", "[rspawn]")
{
    auto c = rspawn::delivery_config("/ms", "s@x", "a@b@c.example");
    CHECK(c.root == "/ms");
    CHECK(c.host == "c.example");
    CHECK(c.sender == "s@x");
    CHECK(c.recipients == std::vector<std::string> { "a@b@c.example" });
    c = rspawn::delivery_config("/ms", "", "u@[127.0.0.1]");
    CHECK(c.host == "[127.0.0.1]");
    CHECK(c.sender.empty());
}
