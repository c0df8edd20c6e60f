// passwd - users/passwd, the hashed passwords of virtual users, and the password checks
// made on it (mailctl writes it, auth reads it).
//
//     auto hash = mta::passwd::hash_password(secret);       // "$y$j9T$..." (yescrypt)
//     if (!hash) return hash.error();
//     auto entries = mta::passwd::parse(text);               // Result<vector<Entry>>
//     Entry const* e = mta::passwd::find(*entries, "u@example.org");
//     bool good = mta::passwd::verify(secret, e ? e->hash : "");
//
// The file: one line per user, "address:hash" with more ':'-separated fields reserved
// (ignored when reading, kept when rewriting). address is lowercase local@domain; hash is
// a crypt(3) string made by libxcrypt. A hash that does not start with '$' ("!", "*", "")
// locks the account: nothing verifies against it. Owner msp, mode 0400: only root and
// auth (setuid msp) read it.
//
// verify() always runs one crypt(3) (against a fixed dummy setting when the hash is
// unusable), so a missing user costs about as much time as a wrong password, and
// compares the result with a loop whose time depends only on the stored hash's length.
#pragma once

#include "error.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace mta::passwd {

inline constexpr size_t kMaxPasswordBytes = 256;

struct Entry {
    std::string address; // lowercase
    std::string hash;
    std::string rest; // the fields after the hash, without the leading ':'
};

// Every line must have an address with one '@' and a ':' after it. Blank lines are
// skipped. Errors name the line: Error::plain("malformed users/passwd line") with
// errnum 0; the line number goes to *bad_line when given.
Result<std::vector<Entry>> parse(std::string_view text, size_t* bad_line = nullptr);
std::string format(std::vector<Entry> const& entries);
Entry const* find(std::vector<Entry> const& entries, std::string_view address);

// A new yescrypt hash of password (random salt from libxcrypt's crypt_gensalt_ra).
Result<std::string> hash_password(std::string_view password);

// True when password hashes to hash. Constant-time comparison; see above.
bool verify(std::string_view password, std::string_view hash);

// a == b in time that depends only on b's length.
bool equal_constant_time(std::string_view a, std::string_view b);

} // namespace mta::passwd
