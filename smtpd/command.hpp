// command - SMTP command lines and their arguments, without I/O (also the fuzz target
// fuzz/smtp_fuzz.cpp).
//
//     auto cmd = smtpd::parse_command(line);       // line without CRLF
//     if (cmd.verb == smtpd::Verb::mail) {
//         auto mail = smtpd::parse_mail(cmd.argument);
//         if (!mail) reply(mail.error());          // MailError: a reply code and text
//     }
//
// The verb is the text before the first space, case-insensitive. MAIL and RCPT take
// "FROM:"/"TO:" (spaces allowed after the colon), a path as lib/address parses it
// (angle brackets optional, as qmail), then ESMTP parameters. Errors are ArgError values
// with the full SMTP reply (code, enhanced code, text), chosen here so that the fuzz
// target and the unit tests see exactly what a client sees.
#pragma once

#include "address.hpp"
#include "error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace smtpd {

enum class Verb {
    helo,
    ehlo,
    mail,
    rcpt,
    data,
    bdat,
    rset,
    noop,
    vrfy,
    help,
    quit,
    starttls,
    auth,
    unknown
};

struct Command {
    Verb verb = Verb::unknown;
    std::string_view argument; // after the verb and its spaces; trailing spaces kept off
};

// A command line without its line end (a final CR is removed too).
Command parse_command(std::string_view line);

// A refused argument: the whole reply line without CRLF, e.g. "501 5.5.4 syntax: ...".
struct ArgError {
    std::string reply;
};

template <class T> using Parsed = std::variant<T, ArgError>;

struct MailArgs {
    mta::Address sender;
    std::optional<std::uint64_t> size; // SIZE=
    bool smtputf8 = false;
    bool body_8bit = false; // BODY=8BITMIME
};

struct RcptArgs {
    mta::Address recipient;
};

struct BdatArgs {
    std::uint64_t size = 0;
    bool last = false;
};

// "FROM:<a@b> SIZE=10 BODY=8BITMIME SMTPUTF8" (an RFC 4954 AUTH=... is accepted and
// ignored: we never trust another server's claim about who submitted a message)
Parsed<MailArgs> parse_mail(std::string_view argument);
// "TO:<a@b>"; utf8 when the transaction's MAIL had SMTPUTF8.
Parsed<RcptArgs> parse_rcpt(std::string_view argument, bool utf8);
// "4096" or "0 LAST". Sizes of more than 18 digits are refused (kBdatSizeTooBig).
Parsed<BdatArgs> parse_bdat(std::string_view argument);

// Decimal digits only, at most 18 of them (fits in 63 bits).
std::optional<std::uint64_t> parse_size(std::string_view text);

} // namespace smtpd
