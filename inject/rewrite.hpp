// rewrite - qmail-inject's address rewriting: complete bare boxes and dotless hosts,
// replace a trailing '+', drop source routes; applied to header fields, to recipient
// arguments and to the envelope sender.
//
//     auto rw = inject::Rewriter::make("mx.example.org", "example.org", "example.net");
//     if (!rw) return rw.error();                 // a control value that does not tokenize
//     auto field = rw->rewrite_field("To", " joe, <@relay:ann@box>, bob@home+");
//     // field->text == "To: joe@mx.example.org, <ann@box.example.org>,\n"
//     //                "  bob@home.example.net\n"  (folded at 80 columns when longer)
//     // field->addresses == { "joe@mx.example.org", "ann@box.example.org", ... }
//     auto rcpt = rw->rewrite_argument("joe");    // "joe@mx.example.org"
//
// The rules, in order (qmail's rwgeneric): <> and <box@[]> are kept as they are; a source
// route "@a,@b:" is removed; trailing '.' and '@' are removed; without
// '@' the address gets "@defaulthost"; a host ending in '+' has it replaced by
// ".plusdomain"; a host without a dot (and not a [literal]) gets ".defaultdomain",
// unless it is defaultdomain itself (qmail would make "vm.vm" of a dotless control/me).
// Errors are the tokenizer's and parser's Error::plain texts; nothing here does I/O.
#pragma once

#include "error.hpp"
#include "token.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace inject {

struct RewrittenField {
    std::string text; // "Name: ...\n", folded
    std::vector<std::string> addresses; // envelope form, in order; "" for <>
};

class Rewriter {
public:
    // Tokenizes "@" defaulthost, "." defaultdomain and "." plusdomain once.
    static mta::Result<Rewriter> make(
        std::string_view defaulthost, std::string_view defaultdomain, std::string_view plusdomain);

    // Rewrites one address (tokens without comments) in place.
    void rewrite_address(Tokens& address) const;

    // An address-list field: every address rewritten, the field printed again.
    mta::Result<RewrittenField> rewrite_field(std::string_view name, std::string_view value) const;

    // A recipient argument or -f sender: quoted as qmail's quote2 does ("joe smith@x" is one
    // address), rewritten, in envelope form. "<>" and "" give "" (the null sender); one
    // pair of enclosing angle brackets is removed.
    mta::Result<std::string> rewrite_argument(std::string_view argument) const;

private:
    Rewriter() = default;

    Tokens m_default_host; // "@" defaulthost
    Tokens m_default_domain; // "." defaultdomain
    std::string m_default_domain_name; // defaultdomain itself
    Tokens m_plus_domain; // "." plusdomain
};

// An envelope address as written in Return-Path: and Mail-Followup-To: fields: the local
// part quoted when it is not a dot-atom (qmail's quote2); "" stays "".
std::string quote_address(std::string_view address);

} // namespace inject
