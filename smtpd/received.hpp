// received - the Received header line smtpd puts on top of each message, in
// qmail-smtpd's form with the RFC 3848 protocol names and the TLS parameters:
//
//     Received: from mx.example.org (HELO mx.example.org) (info@192.0.2.1)
//       by mail.example.net with ESMTPS (TLSv1.3 TLS_AES_256_GCM_SHA384); 7 Mar 2024 09:05:01 -0000
//
// After SMTP AUTH the protocol gets RFC 3848's "A" (ESMTPSA, ESMTPA, UTF8SMTPSA...) and
// "(authenticated as joe@example.org)" follows it.
//
// "(HELO x)" only when x differs (ignoring case) from the remote host name, "info@" only
// with an ident answer. Every byte other than letters, digits and ". @ % + / = : - [ ]"
// in the names is replaced by '?', so nothing a client says can break the header.
#pragma once

#include <ctime>
#include <string>
#include <string_view>

namespace smtpd {

struct ReceivedInfo {
    std::string remote_host; // TCPREMOTEHOST, or "unknown"
    std::string remote_ip; // TCPREMOTEIP, or e.g. "uid 1000" for a local user
    std::string remote_info; // TCPREMOTEINFO, or ""
    std::string helo; // "" when the client sent none
    std::string local_host; // TCPLOCALHOST, TCPLOCALIP, or "unknown"
    bool esmtp = false;
    bool utf8 = false;
    std::string tls; // "TLSv1.3 TLS_AES_256_GCM_SHA384", or "" without TLS
    std::string auth; // the login after SMTP AUTH, or ""
};

// "SMTP", "ESMTP", "ESMTPS", "UTF8SMTP" or "UTF8SMTPS", with "A" appended after AUTH.
std::string protocol_name(ReceivedInfo const& info);

// Both lines, each ending with LF.
std::string received_line(ReceivedInfo const& info, time_t now);

// text with the unsafe bytes replaced by '?'; loose also keeps spaces and '_' (for the
// TLS parameters and the "uid N" of a local client, which come from us, not the client).
std::string safe_text(std::string_view text, bool loose = false);

} // namespace smtpd
