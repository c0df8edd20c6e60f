// maildrop - the TRANSACTION state of a POP3 session on a Maildir (RFC 1939 with
// qmail-pop3d's Maildir rules), run as the mailbox owner with the Maildir as working
// directory.
//
//     auto messages = pop3d::scan_maildir(".");       // new/ and cur/, oldest first
//     pop3d::Maildrop drop(".", std::move(*messages), out);
//     out.put(drop.greeting());
//     while (get a line) if (!drop.handle_line(line)) break;   // false after QUIT
//
// Messages are numbered from 1 in mtime order (names break ties). Sizes are file sizes
// (stat, no message is read to list it). UIDL is the file name up to ':' (the Maildir
// unique name, stable when the file moves from new/ to cur/ or gets flags). DELE only
// marks; QUIT unlinks the marked files and renames the rest of new/X to cur/X:2,; a
// session that ends any other way changes nothing. RETR and TOP send LF as CRLF and
// dot-stuff lines that start with '.'.
//
// An IMAP session may rename a file meanwhile (flags, new/ -> cur/). A message is its
// base name: when its path is gone (ENOENT), RETR, TOP and QUIT look the base name up
// again in cur/ and new/ (one directory scan, reused until it is found stale) and use
// that file; a DELE'd message found in neither directory counts as removed.
#pragma once

#include "buffer.hpp"
#include "error.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace pop3d {

struct Command;

struct Message {
    std::string path; // "new/NAME" or "cur/NAME:2,FLAGS", relative to the Maildir
    std::string uid;
    uint64_t size = 0;
    int64_t mtime = 0;
    bool deleted = false;
};

mta::Result<std::vector<Message>> scan_maildir(std::string const& dir);

// Sends the file on fd as a POP3 multi-line body (no +OK line): CRLF, dot-stuffing, a
// final CRLF when the file lacks one, then ".\r\n". With body_lines, only the header,
// the empty line and that many body lines (TOP).
mta::Status send_message(int fd, mta::Writer& out, long long body_lines = -1);

class Maildrop {
public:
    Maildrop(std::string dir, std::vector<Message> messages, mta::Writer& out);

    std::string greeting() const;
    // One command line; false when the session is over (after QUIT's reply).
    mta::Result<bool> handle_line(std::string_view line);

private:
    // The message for a number argument, or nullptr after writing the error reply.
    Message* message_arg(std::string_view arg, mta::Status& st);
    mta::Status reply(std::string const& text);
    mta::Status stat();
    mta::Status list(bool uidl, bool has_arg, std::string const& arg);
    mta::Status retr(std::string const& arg, bool top);
    mta::Status quit();
    mta::Status dele(std::string const& arg);
    mta::Status rset();
    mta::Status no_arg(const char* name);
    mta::Status run(Command const& c);
    // op(path) on the message's file, following renames; returns 0 or an errno value
    // (ENOENT: the message is in neither cur/ nor new/).
    template <typename Op> int on_file(Message& m, Op op);
    int relocate(Message& m);
    int scan_names();

    std::string m_dir;
    std::vector<Message> m_messages;
    mta::Writer& m_out;
    std::unordered_map<std::string, std::string> m_where; // base name -> path, last scan
    bool m_scanned = false;
};

} // namespace pop3d
