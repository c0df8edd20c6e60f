// maildir - a .qmail Maildir line ("./Maildir/"): the message with Return-Path and
// Delivered-To in front, written by lib/maildir.hpp (tmp, fsync, link to new, fsync new).
//
//     if (local::Fail f = local::deliver_maildir("./Maildir/", lines.rpline + lines.dtline, 0))
//         return f;
//
// Every failure is temporary (111), as in qmail-local: a missing Maildir is "Unable to
// chdir to maildir. (#4.2.1)"; other errors name the step and errno.
#pragma once

#include "failure.hpp"

#include <string>
#include <string_view>

namespace local {

// Rewinds message_fd and copies all of it after head.
Fail deliver_maildir(std::string const& dir, std::string_view head, int message_fd);

} // namespace local
