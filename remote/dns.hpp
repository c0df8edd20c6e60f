// dns - the mail exchangers of a domain and their addresses, through libunbound.
//
//     auto resolver = remote::Resolver::create(forwarders, 30 * 1000);   // resolvers lines
//     if (!resolver) ...                                   // a bad forwarder: temporary
//     remote::Lookup found = remote::find_targets(*resolver, "example.org", locals);
//     if (!found.failure.empty()) report(found.failure);   // "Z..." or "D..." record text
//     for (auto const& t : found.targets) try(t.ip);       // in the order to try
//
// Resolution follows qmail-remote (docs/remote.md): MX records by preference, random order
// among equal preferences; no MX records: the host's own addresses as an implicit MX; for
// each exchanger its IPv6 addresses first, then its IPv4 ones. A temporary DNS failure
// (SERVFAIL, no answer within the timeout) is a Z record, NXDOMAIN a D "(#5.1.2)". The
// self-MX rule compares exchanger names with control/locals: when an exchanger is one of
// our own names, only exchangers of strictly lower preference are used, and when none is
// left the result is qmail's D "(#5.4.6)". A null MX (RFC 7505, "0 .") is a D (#5.1.10).
//
// Resolver: libunbound in forwarding mode. Without forwarders it takes the servers of
// /etc/resolv.conf; a forwarder is "ADDR" or unbound's "ADDR@PORT" (control/resolvers,
// one per line; "[v6]:port" and "v4:port" are accepted and rewritten). No DNSSEC
// validation. Every lookup is bounded by the timeout given to create().
#pragma once

#include "error.hpp"
#include "net.hpp"

#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

struct ub_ctx;

namespace remote {

// One DNS answer: the rdata of the records of one type.
struct Answer {
    enum class Kind { records, nxdomain, temporary } kind = Kind::temporary;
    std::vector<std::string> rdata;
    std::string problem; // for temporary: what went wrong, e.g. "SERVFAIL"
};

struct Question {
    std::string name;
    int type; // 15 MX, 1 A, 28 AAAA
};

class Resolver {
public:
    static mta::Result<Resolver> create(std::vector<std::string> const& forwarders, int timeout_ms);
    // Answers to all questions, asked in parallel, in the same order.
    std::vector<Answer> ask(std::vector<Question> const& questions);

private:
    struct Free {
        void operator()(ub_ctx* ctx) const;
    };
    std::unique_ptr<ub_ctx, Free> m_ctx;
    int m_timeout_ms = 0;
};

// A forwarder line in unbound's syntax ("192.0.2.1@5353", "::1@53"), or an error.
mta::Result<std::string> forwarder_syntax(std::string_view line);

struct Mx {
    std::string name; // lower case, no trailing dot
    unsigned preference = 0;
    bool operator==(Mx const&) const = default;
};

// Decodes rdata of an MX record (preference and uncompressed name).
std::optional<Mx> decode_mx(std::string_view rdata);

// MX records in the order to try, after the self-MX rule; failure: the record text.
struct MxOrder {
    std::vector<Mx> mx;
    std::string failure; // "D..." when nothing may be used
};
MxOrder order_mx(std::vector<Mx> mx, std::vector<std::string> const& locals, std::string_view host,
    std::mt19937& random);

struct Target {
    std::string host; // the exchanger's name, or the literal
    IpAddress ip;
};

struct Lookup {
    std::vector<Target> targets;
    std::string failure; // a record text ("Z..."/"D...") when targets is empty
};

// The target of an address literal ("[192.0.2.1]", "[IPv6:...]", or a bare dotted quad
// as qmail allows), or nullopt for a name.
std::optional<Target> literal_target(std::string const& host);

// The addresses to try for mail to host (MX, implicit MX, literal).
Lookup find_targets(Resolver& resolver, std::string const& host,
    std::vector<std::string> const& locals, std::mt19937& random);
// The addresses of a relay (routes: no MX lookup, no self-MX rule).
Lookup find_relay(Resolver& resolver, std::string const& relay);

} // namespace remote
