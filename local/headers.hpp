// headers - the lines local adds to what it stores, and the mail-loop check.
//
//     std::string rp = local::return_path_line("a@b.example");  // "Return-Path: <a@b.example>\n"
//     std::string dt = local::delivered_to_line("joe", "x.org"); // "Delivered-To: joe@x.org\n"
//     std::string uf = local::from_line("a@b.example", time(nullptr));
//                                        // "From a@b.example Thu Jan 01 00:00:00 1970\n"
//     auto looping = local::has_line_in_header(0, dt);          // reads fd 0 from offset 0
//     if (!looping) return looping.failure();
//     if (*looping) return local::perm_loop();
//
// Maildir and mbox copies get Return-Path then Delivered-To before the message (mbox also
// the From_ line first); programs see both in $RPLINE and $DTLINE; forwarded copies get
// Delivered-To only. A LF inside an address becomes '_' so that each is one line.
#pragma once

#include "failure.hpp"

#include <ctime>
#include <string>
#include <string_view>

namespace local {

// "Return-Path: <SENDER>\n", the local part quoted when it is not a dot-atom; "<>" for
// the null sender.
std::string return_path_line(std::string_view sender);

// "Delivered-To: LOCAL@HOST\n".
std::string delivered_to_line(std::string_view local_part, std::string_view host);

// The mbox separator "From SENDER DATE\n": spaces, tabs and LFs in the sender become '-',
// the null sender is MAILER-DAEMON, DATE is mbox_date(when).
std::string from_line(std::string_view sender, time_t when);

// ctime(3)-style UTC date without the LF: "Thu Jan 01 00:00:00 1970".
std::string mbox_date(time_t when);

// True when a line of the message's header section (up to the first empty line) equals
// line (which includes its LF), byte for byte. Reads fd from offset 0 with bounded memory.
Outcome<bool> has_line_in_header(int fd, std::string_view line);

} // namespace local
