#include "auth.hpp"

#include "base64.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sys/stat.h>

using namespace smtpd;
using namespace std::string_literals;

TEST_CASE("smtpd auth: base64", "[smtpd][auth]")
{
    CHECK(decode_base64("AHVAZXhhbXBsZS50ZXN0AHNlY3JldA==") == "\0u@example.test\0secret"s);
    CHECK(decode_base64("Zm9v") == "foo");
    CHECK(decode_base64("Zm8=") == "fo");
    CHECK(decode_base64("Zg==") == "f");
    CHECK(decode_base64("=") == "");
    CHECK(!decode_base64(""));
    CHECK(!decode_base64("Zm9"));
    CHECK(!decode_base64("Zm9v "));
    CHECK(!decode_base64("Z==="));
    CHECK(!decode_base64("Zg=a"));
    CHECK(!decode_base64("Zg==Zm9v"));
    CHECK(!decode_base64("Zm9*"));
    for (std::string const& s : { ""s, "a"s, "ab"s, "abc"s, "\0\xff\x80 x"s })
        CHECK(decode_base64(s.empty() ? "=" : mta::encode_base64(s)) == s);
}

TEST_CASE("smtpd auth: PLAIN messages", "[smtpd][auth]")
{
    auto c = parse_plain("\0u@example.test\0secret"s);
    REQUIRE(c);
    CHECK(c->login == "u@example.test");
    CHECK(c->password == "secret");
    c = parse_plain("U@Example.test\0u@example.test\0pw"s);
    REQUIRE(c);
    CHECK(c->login == "u@example.test");
    CHECK(!parse_plain("other@example.test\0u@example.test\0pw"s)); // acting as another
    CHECK(!parse_plain("\0u@example.test"s));
    CHECK(!parse_plain("u@example.test"));
    CHECK(!parse_plain("\0\0pw"s));
    CHECK(!parse_plain("\0u\0"s));
    CHECK(!parse_plain("\0u\0p\0w"s));
    CHECK(!parse_plain("\0"s + std::string(kMaxLoginBytes + 1, 'u') + "\0pw"s));
    CHECK(!parse_plain("\0u\0"s + std::string(kMaxPasswordBytes + 1, 'p')));
}

TEST_CASE("smtpd auth: loopback addresses", "[smtpd][auth]")
{
    CHECK(is_loopback("127.0.0.1"));
    CHECK(is_loopback("127.2.3.4"));
    CHECK(is_loopback("::1"));
    CHECK(is_loopback("::ffff:127.0.0.1"));
    CHECK(!is_loopback("192.0.2.1"));
    CHECK(!is_loopback("::ffff:192.0.2.1"));
    CHECK(!is_loopback("::2"));
    CHECK(!is_loopback("unknown"));
    CHECK(!is_loopback(""));
    CHECK(!is_loopback("127.0.0.1 "));
}

TEST_CASE("smtpd auth: sender policy", "[smtpd][auth]")
{
    auto const table = parse_authsenders({ "u@example.test:@Example.ORG",
        "u@example.test:sales@x.test", "broken", ":@x.test", "v@example.test:" });
    REQUIRE(table.size() == 2);
    CHECK(table[0].login == "u@example.test");
    CHECK(table[0].pattern == "@example.org");
    CHECK(sender_allowed("u@example.test", "u@example.test", table));
    CHECK(sender_allowed("U@example.TEST", "u@EXAMPLE.test", {}));
    CHECK(sender_allowed("u@example.test", "", {})); // the null sender
    CHECK(sender_allowed("u@example.test", "anyone@example.org", table));
    CHECK(sender_allowed("u@example.test", "Sales@X.test", table));
    CHECK(!sender_allowed("u@example.test", "other@x.test", table));
    CHECK(!sender_allowed("u@example.test", "v@example.test", table));
    CHECK(!sender_allowed("u@example.test", "x@sub.example.org", table));
    CHECK(!sender_allowed("v@example.test", "anyone@example.org", table));
    CHECK(!sender_allowed("u@example.test", "u", table));
    CHECK(!sender_allowed("u@example.test", "u@example.test.evil", table));
}

TEST_CASE("smtpd auth: the checkpassword call", "[smtpd][auth]")
{
    mta::ignore_sigpipe(); // as smtpd does: a checker that fails early closes its fd 3
    mta::test::TempDir dir;
    std::string const script = dir.path() + "/check";
    std::string const seen = dir.path() + "/seen";
    {
        // Exit code from the password; the request is copied for inspection.
        std::ofstream out(script);
        out << "#!/bin/sh\ncat <&3 | tr '\\0' '|' > " << seen << "\ncase $(cut -d'|' -f2 " << seen
            << ") in good) exec \"$@\";; bad) exit 1;; slow) sleep 5;; esac\nexit 111\n";
    }
    ::chmod(script.c_str(), 0755);
    Checker const checker { script, false };
    auto verdict = check_password(checker, { "u@example.test", "good" }, "<1.2@me>", 5000);
    REQUIRE(verdict);
    CHECK(*verdict == Verdict::good);
    std::ifstream in(seen);
    std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(got == "u@example.test|good|<1.2@me>|");
    verdict = check_password(checker, { "u@example.test", "bad" }, "<1.2@me>", 5000);
    REQUIRE(verdict);
    CHECK(*verdict == Verdict::bad);
    verdict = check_password(checker, { "u@example.test", "other" }, "<1.2@me>", 5000);
    REQUIRE(verdict);
    CHECK(*verdict == Verdict::temporary);
    auto const start = std::chrono::steady_clock::now();
    verdict = check_password(checker, { "u@example.test", "slow" }, "<1.2@me>", 300);
    REQUIRE(verdict);
    CHECK(*verdict == Verdict::temporary);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
    Checker const missing { dir.path() + "/none", true };
    verdict = check_password(missing, { "u", "p" }, "<c>", 5000);
    REQUIRE(verdict);
    CHECK(*verdict == Verdict::temporary); // exec failed: 120
}
