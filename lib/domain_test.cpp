#include "domain.hpp"
#include "domain_names.hpp"

#include "address.hpp" // address_error_is_length

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace mta;
using mta::test::domain_of;
using namespace std::literals;

namespace {

std::string repeat(std::size_t n, char c)
{
    return std::string(n, c);
}

} // namespace

TEST_CASE("check_domain validates a host name on its own", "[lib][domain]")
{
    struct Case {
        std::string input;
        std::string_view want_error; // "" for a valid domain
    };
    for (auto const& c : std::vector<Case> {
             { "example.org", "" },
             { "mail-1.Example.ORG", "" },
             { "localhost", "" },
             { "[192.0.2.1]", "" },
             { "[IPv6:2001:db8::1]", "" },
             { domain_of(255), "" },
             { domain_of(256), "domain too long" },
             { "", "empty domain" },
             { "a..b", "empty label in domain" },
             { "a.b.", "empty label in domain" },
             { "-a.b", "domain label starts or ends with a hyphen" },
             { "a_b.org", "invalid character in domain" },
             { "a.org ", "invalid character in domain" },
             { "a.org>", "unbalanced angle bracket" },
             { repeat(64, 'x') + ".org", "domain label too long" },
             { "[1.2.3.4", "unterminated domain literal" },
             { "[1.2.3.4]]", "invalid character in domain" },
             { "[1.2.3.400]", "bad IPv4 address literal" },
             { "a\0b"s, "NUL byte in address" },
             { "a\nb", "control character in address" },
             { "b\xc3\xbc"
               "cher.de",
                 "8-bit character in address" },
         }) {
        INFO("input: " << c.input);
        Status got = check_domain(c.input);
        CHECK(std::string_view(got ? "" : got.error().what) == c.want_error);
    }
    CHECK(check_domain("b\xc3\xbc"
                       "cher.de",
        true)
              .ok());
}

TEST_CASE("lowercase_domain folds ASCII letters only", "[lib][domain]")
{
    CHECK(lowercase_domain("Example.ORG") == "example.org");
    CHECK(lowercase_domain("[IPv6:2001:DB8::1]") == "[ipv6:2001:db8::1]");
    CHECK(lowercase_domain("B\xc3\x9c"
                           "CHER.de")
        == "b\xc3\x9c"
           "cher.de");
}

TEST_CASE("check_domain's length errors are address length errors", "[lib][domain]")
{
    CHECK(address_error_is_length(check_domain(domain_of(256)).error()));
    CHECK(address_error_is_length(check_domain(repeat(64, 'x') + ".org").error()));
    CHECK_FALSE(address_error_is_length(check_domain("a..b").error()));
    CHECK_FALSE(address_error_is_length(check_domain("a\nb").error()));
}
