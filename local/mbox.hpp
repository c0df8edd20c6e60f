// mbox - a .qmail mailbox-file line ("./Mailbox", "/var/mail/joe"): append the message in
// mboxrd form, as qmail-local's mailfile().
//
//     if (local::Fail f = local::deliver_mbox("./Mailbox", lines.ufline,
//             lines.rpline + lines.dtline, 0, local::kMboxLockSeconds))
//         return f;
//
// The file is opened with lib/safe_open.hpp's rules (O_APPEND, no symbolic link, one link,
// owned by the recipient, not writable by others; created 0600 when missing), locked with
// flock and fcntl (a reader using either sees the lock) waiting at most lock_seconds, then
// gets "From SENDER DATE", Return-Path, Delivered-To, the message with '>' added before
// every line matching "^>*From ", a LF if the last line had none, and one empty line;
// then fsync. On any failure after the lock the file is truncated back to its old size.
// Every failure is temporary (111).
#pragma once

#include "failure.hpp"

#include <string>
#include <string_view>

namespace local {

inline constexpr int kMboxLockSeconds = 30;

// Streaming ">From " quoting: feed() any pieces of the message, then finish().
class FromQuoter {
public:
    void feed(std::string_view in, std::string& out);
    // Emits what is still held back and a LF when the last line had none.
    void finish(std::string& out);

private:
    void flush_prefix(std::string& out);

    bool m_at_line_start = true;
    size_t m_greater = 0; // '>' bytes seen at the start of the current line
    size_t m_from = 0; // bytes of "From " matched after them
    bool m_any = false; // any byte fed
    bool m_ends_with_lf = true; // the last byte emitted was LF
};

Fail deliver_mbox(std::string const& path, std::string_view ufline, std::string_view head,
    int message_fd, int lock_seconds);

} // namespace local
