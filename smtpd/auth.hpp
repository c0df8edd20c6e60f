// auth - SMTP AUTH (RFC 4954) without the conversation: SASL PLAIN and LOGIN decoding,
// the checkpassword call, and which senders an authenticated client may use.
//
//     auto bytes = smtpd::decode_base64(argument);          // nullopt: 501 5.5.2
//     auto creds = bytes ? smtpd::parse_plain(*bytes) : std::nullopt;
//     auto verdict = smtpd::check_password(checker, creds->login, creds->password, ...);
//     if (verdict && *verdict == smtpd::Verdict::good) ...  // 235 2.7.0
//     smtpd::sender_allowed(login, sender, authsenders);    // else 553 5.7.1
//
// control/authsenders: one `login:pattern` per line; pattern is an address (the login
// may also send as it) or `@domain` (any address in that domain). Comparison ignores
// case. Every login may always send as itself and with the null sender <>.
#pragma once

#include "error.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd {

// Failed logins per session; the last one is answered with 421 and the end.
inline constexpr int kMaxAuthFailures = 3;
// How long a checkpassword program may take (auth's own failure delay is at most 60 s).
inline constexpr int kCheckTimeoutMs = 75 * 1000;
// Longest login and password passed on (auth reads at most 512 bytes in all).
inline constexpr std::size_t kMaxLoginBytes = 255;
inline constexpr std::size_t kMaxPasswordBytes = 200;

// A SASL response in base64 (mta::decode_base64); nullopt when malformed or empty. "="
// alone is the empty string (RFC 4954's empty initial response).
std::optional<std::string> decode_base64(std::string_view text);

struct Credentials {
    std::string login;
    std::string password;
};

// A PLAIN message (RFC 4616): [authzid] NUL authcid NUL passwd. nullopt when malformed,
// when a part is empty or too long, or when authzid names another identity than authcid
// (we never let one user act as another).
std::optional<Credentials> parse_plain(std::string_view message);

// TCPREMOTEIP is a loopback address: 127.0.0.0/8, ::1 or ::ffff:127.x.y.z.
bool is_loopback(std::string_view ip);

struct AuthSender {
    std::string login; // lower case
    std::string pattern; // lower case: "addr@domain" or "@domain"
};

// The lines of control/authsenders; lines without a ':' after a non-empty login, or
// with an empty pattern, are skipped (mailctl check reports them).
std::vector<AuthSender> parse_authsenders(std::vector<std::string> const& lines);

// May login use sender ("" = the null sender) as MAIL FROM?
bool sender_allowed(
    std::string_view login, std::string_view sender, std::vector<AuthSender> const& authsenders);

enum class Verdict { good, bad, temporary };

struct Checker {
    std::string program; // ROOT/bin/auth, or control/checkpassword's program
    bool ours = true; // ROOT/bin/auth needs no program after it; others get /bin/true
};

// Runs the checker with "login NUL password NUL challenge NUL" on its fd 3 and waits at
// most timeout_ms for its exit code: 0 good, 1 and 2 bad, anything else (or no answer
// in time) temporary. An Error when it cannot be started. SIGPIPE must be ignored (a
// checker may exit before reading its fd 3).
mta::Result<Verdict> check_password(Checker const& checker, Credentials const& credentials,
    std::string const& challenge, int timeout_ms);

} // namespace smtpd
