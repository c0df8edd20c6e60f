#include "ident.hpp"

#include <catch2/catch.hpp>

using tcpserver::parse_ident_reply;

TEST_CASE("tcpserver ident: replies", "[tcpserver]")
{
    CHECK(*parse_ident_reply("6193, 23 : USERID : UNIX : stjohns\r", 6193, 23) == "stjohns");
    CHECK(*parse_ident_reply("6193 , 23:USERID:UNIX,US-ASCII:  joe  ", 6193, 23) == "joe");
    CHECK(*parse_ident_reply("1,2 : USERID : OTHER : a:b", 1, 2) == "a:b");
    CHECK_FALSE(parse_ident_reply("6193, 23 : ERROR : NO-USER", 6193, 23));
    CHECK_FALSE(parse_ident_reply("6193, 24 : USERID : UNIX : joe", 6193, 23));
    CHECK_FALSE(parse_ident_reply("6194, 23 : USERID : UNIX : joe", 6193, 23));
    CHECK_FALSE(parse_ident_reply("6193 23 : USERID : UNIX : joe", 6193, 23));
    CHECK_FALSE(parse_ident_reply("6193, 23 : USERID : UNIX : ", 6193, 23));
    CHECK_FALSE(parse_ident_reply("6193, 23 : USERID : UNIX : a b", 6193, 23));
    CHECK_FALSE(parse_ident_reply("6193, 23 : USERID : UNIX : \x01x", 6193, 23));
    CHECK_FALSE(parse_ident_reply("6193, 23 : USERID : UNIX : " + std::string(129, 'x'), 6193, 23));
    CHECK_FALSE(parse_ident_reply("garbage", 6193, 23));
}
