// forward - forwarding lines ("&joe@example.org", "joe@example.org"): every forward of one
// .qmail file goes into the queue in a single queue call, as qmail-local's mailforward().
//
//     auto sender = local::find_new_sender(recipient, safeext);  // $NEWSENDER
//     if (!sender) return sender.failure();
//     auto qp = local::forward_message(root, lines.dtline, 0, *sender, { "a@x", "b@y" });
//     if (!qp) return qp.failure();                // "Unable to forward message: ..."
//
// The forwarded copy is the Delivered-To line followed by the message (no Return-Path).
// Its envelope sender is NEWSENDER: the original sender, except for a mailing list, i.e.
// when the sender is neither "" nor "#@[]" and .qmail<dash><ext>-owner exists: then
// LOCAL-owner@HOST, or the VERP form LOCAL-owner-@HOST-@[] when .qmail<dash><ext>-owner-default
// exists too. A queue failure starting 'D' is permanent (100), any other temporary (111).
#pragma once

#include "environment.hpp"
#include "failure.hpp"

#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace local {

// NEWSENDER from the facts (pure).
std::string new_sender(std::string_view sender, std::string_view local_part, std::string_view host,
    bool has_owner, bool has_owner_default);

// NEWSENDER, looking for the -owner files in the current directory.
Outcome<std::string> find_new_sender(Recipient const& r, std::string_view safeext);

// Queues the copy through QueueClient::open(root); returns the queue program's pid (the
// "qp" of the report).
Outcome<pid_t> forward_message(std::string const& root, std::string_view dtline, int message_fd,
    std::string_view sender, std::vector<std::string> const& recipients);

} // namespace local
