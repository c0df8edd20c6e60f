// maildir - write one message into a Maildir durably (cr.yp.to/proto/maildir.html), for
// local delivery, bounces and IMAP APPEND.
//
//     auto file = mta::MaildirFile::create("./Maildir/");   // tmp/UNIQUE, O_EXCL
//     if (!file) return file.error();
//     if (auto st = file->write("Return-Path: <a@b>\n"); !st) return st.error();
//     if (auto st = file->write_from(0); !st) return st.error(); // fd 0 to its end
//     auto name = file->commit();                          // "new/UNIQUE"
//     if (!name) return name.error();
//
// The crash-safe sequence of commit(): flush, fsync and close the tmp file, link it to
// new/ (a link never replaces an existing file), fsync the new/ directory, unlink the tmp
// file. Once commit() returns the message survives a crash; before that a crash leaves at
// most a file in tmp/, which readers delete after 36 hours. A MaildirFile destroyed
// without a successful commit() unlinks its tmp file.
//
// Errors are Result values carrying errno and a static text naming the step: "unable to
// create file in tmp", "unable to write", "unable to read", "unable to fsync", "unable to
// close", "unable to link into new", "unable to fsync new". Every one of them is worth a
// retry (a missing Maildir is ENOENT on the create step).
#pragma once

#include "error.hpp"
#include "fd.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace mta {

// The host name as it may appear in a Maildir file name: '/' written "\057" and ':'
// written "\072", as the Maildir specification asks; "localhost" when it is unknown.
std::string maildir_host(std::string_view hostname);

// A unique name "SECONDS.MMICROSECONDSPPIDQSEQ.HOST" (the modern Maildir form): unique
// for one host as long as a pid is not reused within the same microsecond with the same
// sequence number.
std::string maildir_unique_name(
    int64_t seconds, long microseconds, pid_t pid, unsigned long sequence, std::string_view host);

class MaildirFile {
public:
    // Creates tmp/NAME in the Maildir dir (a path ending in '/' or not), mode 0600
    // before umask. On EEXIST a new name is tried, a few times.
    static Result<MaildirFile> create(std::string const& dir);

    MaildirFile(MaildirFile&& other) noexcept;
    MaildirFile& operator=(MaildirFile&&) = delete;
    MaildirFile(MaildirFile const&) = delete;
    MaildirFile& operator=(MaildirFile const&) = delete;
    ~MaildirFile();

    // Buffered; bytes are written as they are, with no conversion.
    Status write(std::string_view data);
    // Copies from fd's current offset to its end.
    Status write_from(int fd);
    // Makes the message visible in new/; returns "new/NAME" relative to the Maildir.
    Result<std::string> commit();

    // The unique part of the file name.
    std::string const& name() const { return m_name; }

private:
    MaildirFile() = default;
    Status flush();

    std::string m_dir; // with a trailing '/'
    std::string m_name;
    Fd m_fd;
    bool m_committed = false;
    std::vector<char> m_buffer;
    size_t m_used = 0;
};

} // namespace mta
