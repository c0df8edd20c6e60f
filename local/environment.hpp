// environment - the variables qmail-local gives the programs named in .qmail files.
//
//     local::Recipient r { "joe", "/home/joe", "joe-list-foo", "-", "list-foo",
//                          "lists.example.org", "a@b.example" };
//     auto env = local::delivery_environment(r, lines, new_sender, default_part);
//     if (!env) return env.failure();
//     options.env = env->entries();
//
// Everything this process inherited is kept (lspawn starts local with a clean environment),
// then USER, HOME, LOCAL, HOST, RECIPIENT, SENDER, NEWSENDER, DTLINE, RPLINE, UFLINE,
// EXT, EXT2, EXT3, EXT4, HOST2, HOST3, HOST4 are set, and DEFAULT when a -default file
// was used (removed otherwise). Values are remote data, unsanitised, as in qmail.
#pragma once

#include "env.hpp"
#include "failure.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace local {

// The arguments lspawn gives local, with the names qmail-local uses.
struct Recipient {
    std::string user; // the account
    std::string home; // absolute
    std::string local; // the address's local part
    std::string dash; // "" for the user's own address, else "-"
    std::string ext; // the extension after user-, case kept
    std::string host; // the address's domain
    std::string sender; // envelope sender, "" for bounces
    std::string default_delivery; // used when there is no .qmail (dash "") or it is empty
};

// The lines added to stored copies, computed once.
struct AddedLines {
    std::string rpline; // Return-Path: ...\n
    std::string dtline; // Delivered-To: ...\n
    std::string ufline; // From ... \n (mbox)
};

// ext after its first n dashes (n = 1: EXT2), "" when it has fewer.
std::string ext_after_dashes(std::string_view ext, int n);

// host without its last n dot-separated labels (n = 1: HOST2); a host with fewer dots
// stays as it is at that step.
std::string host_without_labels(std::string_view host, int n);

Outcome<mta::EnvBuilder> delivery_environment(Recipient const& r, AddedLines const& lines,
    std::string_view new_sender, std::optional<std::string> const& default_part);

} // namespace local
