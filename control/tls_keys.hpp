// tls_keys - the server's certificate and key in control/tls/: making a self-signed pair
// for `mailctl init`, and checking a pair for `mailctl check`.
//
//     if (auto st = admin::make_self_signed("h.example", cert_path, key_path); !st) ...
//     for (auto const& p : admin::check_tls_pair(cert_path, key_path)) print(p);
//
// make_self_signed() writes key.pem (mode 0600) and cert.pem (0644) each through a
// temporary file and rename, and returns a Status naming the failed step.
// check_tls_pair() returns one line per problem (unreadable, not PEM, expired, key does
// not match the certificate).
#pragma once

#include "error.hpp"

#include <string>
#include <vector>

namespace admin {

// RSA 2048 key and an X.509 v3 certificate for `hostname` (CN and subjectAltName),
// SHA-256, valid for ten years from now.
mta::Status make_self_signed(
    std::string const& hostname, std::string const& cert_path, std::string const& key_path);

std::vector<std::string> check_tls_pair(std::string const& cert_path, std::string const& key_path);

} // namespace admin
