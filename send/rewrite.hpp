// rewrite - where a recipient goes: qmail-send's address rewriting with envnoathost,
// percenthack, locals and virtualdomains, and the sender rewriting of VERP.
//
//     send::Routing routing;
//     routing.envnoathost = "example.org";
//     routing.locals = send::make_domain_set({ "example.org", "localhost" });
//     routing.virtualdomains = send::make_virtual_domains({ "virt.example:joe" });
//     send::Route r = send::rewrite(routing, "bob@virt.example");
//     // r.channel == Channel::local, r.address == "joe-bob@virt.example"
//
// The rules, in qmail-send's order:
//   1. an address without '@' gets "@" + envnoathost;
//   2. while the domain is in percenthack and the local part holds '%', the last '%'
//      becomes the '@' (and the old domain goes);
//   3. a domain in locals: local channel, address unchanged;
//   4. virtualdomains, first key found in this order: the whole address, the domain, each
//      suffix of the domain starting at a dot, the empty key. A non-empty prefix sends
//      the address to the local channel as "prefix-address"; an empty one is an
//      exception: remote;
//   5. otherwise the remote channel.
// Domains and keys compare without regard to ASCII case. In virtualdomains a line
// without ':' is ignored and, as in qmail, the last of two lines with one key wins.
// Pure functions: nothing here fails.
#pragma once

#include "queue_files.hpp"

#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace send {

struct Routing {
    std::string envnoathost;
    std::unordered_set<std::string> locals; // lowercase
    std::unordered_set<std::string> percenthack; // lowercase
    std::unordered_map<std::string, std::string> virtualdomains; // lowercase key -> prefix
};

// Lines of locals or percenthack as a set of lowercase domains.
std::unordered_set<std::string> make_domain_set(std::vector<std::string> const& lines);
// Lines "key:prefix" of virtualdomains.
std::unordered_map<std::string, std::string> make_virtual_domains(
    std::vector<std::string> const& lines);

struct Route {
    Channel channel;
    std::string address;
    bool operator==(Route const&) const = default;
};

Route rewrite(Routing const& routing, std::string_view recipient);

// The address as its sender knew it: the virtual-domain prefix ("prefix-") that rewrite()
// added is taken off again, for bounce reports (qmail's stripvdomprepend).
std::string strip_virtual_prefix(Routing const& routing, std::string_view address);

// VERP: a sender "prefix-@host-@[]" becomes "prefix-box=domain@host" for the recipient
// box@domain; any other sender is returned unchanged.
std::string verp_sender(std::string_view sender, std::string_view recipient);

// Where a bounce of a message from sender goes: a VERP sender "prefix-@host-@[]" gives
// "prefix-@host"; others are unchanged ("" means a double bounce).
std::string bounce_recipient(std::string_view sender);

} // namespace send
