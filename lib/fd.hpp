// fd - move-only file descriptors and the system calls on them, returning Result.
//
//     mta::Result<mta::Fd> fd = mta::open_excl("queue/pid/123");
//     if (!fd) return fd.error();
//     if (auto st = mta::write_all(fd->get(), data); !st) return st.error();
//     if (auto st = mta::fsync_fd(fd->get()); !st) return st.error();
//     if (auto st = fd->close(); !st) return st.error();   // close() is checked
//
// Every function that can fail returns Result; the Error text names the step. Files are
// opened close-on-exec; release() hands a descriptor over (before dup2 and exec).
#pragma once

#include "error.hpp"

#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace mta {

class Fd {
public:
    Fd() = default;
    explicit Fd(int fd)
        : m_fd(fd)
    {
    }
    Fd(Fd&& other) noexcept
        : m_fd(other.release())
    {
    }
    Fd& operator=(Fd&& other) noexcept;
    Fd(Fd const&) = delete;
    Fd& operator=(Fd const&) = delete;
    ~Fd();

    int get() const { return m_fd; }
    bool valid() const { return m_fd >= 0; }
    int release();
    // Closes and reports the result: a failed close after a write can mean lost data.
    Status close();

private:
    int m_fd = -1;
};

struct Pipe {
    Fd read_end;
    Fd write_end;
};

Result<Fd> open_read(std::string const& path);
Result<Fd> open_write(std::string const& path); // existing file, O_WRONLY
Result<Fd> open_excl(std::string const& path, mode_t mode = 0644);
Result<Fd> open_trunc(std::string const& path, mode_t mode = 0644);
Result<Fd> open_append(std::string const& path, mode_t mode = 0600);
Result<Fd> open_directory(std::string const& path);
Result<Pipe> make_pipe();

Status write_all(int fd, std::string_view data);
Status fsync_fd(int fd);
// fsync the directory that holds an entry, so a link/rename/unlink survives a crash.
Status fsync_dir(std::string const& dir);
Status set_cloexec(int fd, bool on);
Status set_nonblocking(int fd, bool on);
// Moves fd `from` onto number `to` (dup2 + close), as qmail's fd_move.
Status fd_move(int to, int from);

// Reads a whole file of at most max_bytes; a bigger file is an error (EFBIG).
Result<std::string> read_file(std::string const& path, size_t max_bytes);
// Writes a file durably: PATH.tmp, write, fsync, close, rename, fsync the directory.
Status write_file_atomic(std::string const& path, std::string_view data, mode_t mode);

// The names in a directory, sorted, without "." and "..".
Result<std::vector<std::string>> list_directory(std::string const& dir);

// The directory part of a path ("." when there is none).
std::string dirname_of(std::string const& path);

} // namespace mta
