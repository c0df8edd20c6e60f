// base64 - RFC 4648 base64 (the standard alphabet, with padding, no line breaks), as the
// SASL exchanges of smtpd, pop3d and imapd carry it.
//
//     auto bytes = mta::decode_base64("AHVzZXIAcHc=");   // "\0user\0pw"; nullopt: malformed
//     std::string text = mta::encode_base64("Username:");  // "VXNlcm5hbWU6"
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mta {

// nullopt when the length is not a multiple of 4, a character is outside the alphabet, or
// '=' appears anywhere but as the last one or two characters. "" decodes to "".
std::optional<std::string> decode_base64(std::string_view text);

std::string encode_base64(std::string_view bytes);

} // namespace mta
