#include "base64.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace std::string_literals;

TEST_CASE("base64 decoding", "[lib][base64]")
{
    CHECK(mta::decode_base64("") == ""s);
    CHECK(mta::decode_base64("AHVAZXhhbXBsZS50ZXN0AHB3") == "\0u@example.test\0pw"s);
    CHECK(mta::decode_base64("Zm9v") == "foo"s);
    CHECK(mta::decode_base64("Zm8=") == "fo"s);
    CHECK(mta::decode_base64("Zg==") == "f"s);
    CHECK(mta::decode_base64("AGJvYgBzZWNyZXQ=") == "\0bob\0secret"s);
    for (char const* bad : { "=", "YQ=", "Zm9", "Y===", "Z===", "Zg=a", "YQ==YQ==", "Y!==", "Zm9v ",
             "Zm9*", "!!!!", "YW=j", "Y" })
        CHECK_FALSE(mta::decode_base64(bad));
}

TEST_CASE("base64 encoding round-trips", "[lib][base64]")
{
    CHECK(mta::encode_base64("") == "");
    CHECK(mta::encode_base64("Username:") == "VXNlcm5hbWU6");
    CHECK(mta::encode_base64("Password:") == "UGFzc3dvcmQ6");
    std::string all;
    for (int c = 0; c < 256; ++c)
        all += static_cast<char>(c);
    for (std::size_t n = 0; n <= all.size(); n += 17)
        CHECK(mta::decode_base64(mta::encode_base64(all.substr(0, n))) == all.substr(0, n));
}
