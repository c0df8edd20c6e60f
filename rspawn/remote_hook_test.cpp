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

TEST_CASE("a group's records give each recipient its own result", "[rspawn][group]")
{
    struct Case {
        std::string output;
        size_t recipients;
        std::vector<std::string> want;
    };
    std::string const ok = "Kmx[1.2.3.4] accepted message.\n";
    std::string const dup = "ZConnected to mx but connection died. Possible duplicate! (#4.4.2)\n";
    Case const cases[] = {
        { "r\0r\0r\0"s + ok + '\0', 3, { ok, ok, ok } },
        { "r\0hno such user.\n\0sfull.\n\0"s + ok + '\0', 3,
            { ok, "Dno such user.\n", "Zfull.\n" } },
        { "hno.\n\0hgone.\n\0DGiving up on mx.\n\0"s, 2,
            { "Dno.\nGiving up on mx.\n", "Dgone.\nGiving up on mx.\n" } },
        // The connection died after the dot: every accepted recipient may have it.
        { "r\0hno.\n\0r\0"s + dup + '\0', 3, { dup, "Dno.\n", dup } },
        // Before any RCPT: the message record for all.
        { "ZSorry, no connection.\n\0"s, 2,
            { "ZSorry, no connection.\n", "ZSorry, no connection.\n" } },
        { "DSorry, no host. (#5.1.2)\n\0"s, 2,
            { "DSorry, no host. (#5.1.2)\n", "DSorry, no host. (#5.1.2)\n" } },
        // Died during the RCPTs: the ones without a record get the Z.
        { "r\0ZConnected to mx but connection died. (#4.4.2)\n\0"s, 3,
            { "ZConnected to mx but connection died. (#4.4.2)\n",
                "ZConnected to mx but connection died. (#4.4.2)\n",
                "ZConnected to mx but connection died. (#4.4.2)\n" } },
        // Cut output: no message record, or a recipient without a record and a K.
        { "r\0r\0r"s, 3,
            { "Zremote produced no message record.\n", "Zremote produced no message record.\n",
                "Zremote produced no message record.\n" } },
        { "r\0"s + ok + '\0', 2, { ok, "Zremote produced no report for this recipient.\n" } },
        { ""s, 2, { "Zremote produced no output.\n", "Zremote produced no output.\n" } },
    };
    for (auto const& c : cases) {
        INFO(c.output);
        CHECK(rspawn::report_group_remote({ false, 0 }, c.output, c.recipients) == c.want);
    }
    CHECK(rspawn::report_group_remote({ true, 9 }, "r\0"s, 2)
        == std::vector<std::string> { "Zremote crashed.\n", "Zremote crashed.\n" });
    CHECK(rspawn::report_group_remote({ false, 100 }, "", 1)
        == std::vector<std::string> { "DUnable to run remote.\n" });
    // One recipient: the same as the single command's mapping.
    for (std::string out :
        { "hno such user.\n\0DGiving up.\n\0"s, "sfull.\n\0Kaccepted.\n\0"s, "r\0"s + ok + '\0' })
        CHECK(rspawn::map_group_records(out, 1)
            == std::vector<std::string> { rspawn::map_records(out) });
}

TEST_CASE("every recipient's result ends with remote's TLS note", "[rspawn][group]")
{
    std::string const tls = "TLS: TLSv1.3 TLS_AES_256_GCM_SHA384, certificate verified.\n";
    std::string const ok = "Kmx[1.2.3.4] accepted message.\nRemote host said: 250 ok\n" + tls;
    std::string const no = "mx[1.2.3.4] does not like recipient.\nRemote host said: 550 no\n";
    std::string const later = "mx[1.2.3.4] does not like recipient.\nRemote host said: 451 no\n";
    CHECK(rspawn::map_group_records("r\0h"s + no + '\0' + 's' + later + '\0' + ok + '\0', 3)
        == std::vector<std::string> { ok, "D" + no + tls, "Z" + later + tls });
    // A lone refused recipient: the whole "Giving up" record, its note once.
    CHECK(rspawn::map_records("h"s + no + '\0' + "DGiving up on mx[1.2.3.4].\n" + tls + '\0')
        == "D" + no + "Giving up on mx[1.2.3.4].\n" + tls);
    // A Z after the dot is not better than an s: appended whole, note included.
    std::string const died = "Zmx[1.2.3.4] failed after I sent the message.\nRemote host said: "
                             "451 later\nTLS: none (STARTTLS failed: TLS handshake failed).\n";
    CHECK(rspawn::map_group_records("h"s + no + '\0' + 's' + later + '\0' + "r\0"s + died + '\0', 3)
        == std::vector<std::string> {
            "D" + no + died.substr(died.find("TLS: ")), "Z" + later + died.substr(1), died });
    // A message record without a note (remote could not read the message): nothing added.
    CHECK(rspawn::map_records("h"s + no + '\0' + "ZUnable to read message. (#4.3.0)\n\0")
        == "D" + no);
}

TEST_CASE("a group is delivered to its one domain", "[rspawn][group]")
{
    auto c = rspawn::group_config("/ms", "s@x", { "a@X.example", "b@x.EXAMPLE", "c@d@x.example" });
    REQUIRE(c);
    CHECK(c->host == "X.example");
    CHECK(c->sender == "s@x");
    CHECK(c->recipients
        == std::vector<std::string> { "a@X.example", "b@x.EXAMPLE", "c@d@x.example" });
    CHECK_FALSE(rspawn::group_config("/ms", "s@x", { "a@x.example", "b@y.example" }));
    CHECK_FALSE(rspawn::group_config("/ms", "s@x", { "a@x.example", "x.example@y" }));
}
