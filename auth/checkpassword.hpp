// checkpassword - the pieces of auth that need no privileges, kept apart for tests: the
// fd 3 record and the failure delay.
//
//     auto creds = auth::parse_request(bytes);   // nullopt: malformed (exit 2)
//     auth::home_of("u@example.org", root);      // ROOT/domains/example.org/u
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace auth {

// The checkpassword interface reads at most this many bytes from fd 3.
inline constexpr size_t kMaxRequestBytes = 512;
// Seconds auth sleeps after a failed check when control/authfaildelay is missing.
inline constexpr long long kDefaultFailDelay = 2;
inline constexpr long long kMaxFailDelay = 60;

struct Request {
    std::string login; // lowercased
    std::string password;
};

// "login NUL password NUL" followed by anything (the challenge): login non-empty, both
// NUL-terminated, the whole at most kMaxRequestBytes.
std::optional<Request> parse_request(std::string_view bytes);

// The home directory of a virtual user: ROOT/domains/DOMAIN/LOCAL.
std::string home_of(std::string const& login, std::string const& root);

} // namespace auth
