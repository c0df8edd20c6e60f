#include "safe_open.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mta {

namespace {

Status check_directory(std::string const& path)
{
    struct stat st;
    if (::stat(dirname_of(path).c_str(), &st) == -1)
        return Error::from_errno("unable to stat directory");
    if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
        return Error::plain("directory is writable by others");
    return {};
}

// The checks on the opened file itself.
Status check_file(struct stat const& st, SafeOpenRules const& rules)
{
    if (!S_ISREG(st.st_mode))
        return Error::plain("not a regular file");
    if (rules.require_single_link && st.st_nlink != 1)
        return Error::plain("has more than one link");
    if (rules.owner && st.st_uid != *rules.owner)
        return Error::plain("wrong owner");
    if (rules.refuse_world_writable && (st.st_mode & S_IWOTH))
        return Error::plain("is writable by others");
    if (rules.refuse_group_writable && (st.st_mode & S_IWGRP))
        return Error::plain("is writable by others");
    return {};
}

int open_retry(std::string const& path, int flags, mode_t mode)
{
    int fd;
    do
        fd = ::open(path.c_str(), flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode);
    while (fd == -1 && errno == EINTR);
    return fd;
}

// fstat the new descriptor, make sure it is the file lstat saw (when given), apply the
// rules, and switch the descriptor back to blocking.
Result<Fd> verify_opened(Fd file, struct stat const* seen, SafeOpenRules const& rules)
{
    struct stat st;
    if (::fstat(file.get(), &st) == -1)
        return Error::from_errno("unable to stat");
    if (seen && (st.st_dev != seen->st_dev || st.st_ino != seen->st_ino))
        return Error::plain("file changed while opening");
    if (auto ok = check_file(st, rules); !ok)
        return ok.error();
    if (auto ok = set_nonblocking(file.get(), false); !ok)
        return ok.error();
    return file;
}

// lstat first, so that fifos and devices are never opened; O_NONBLOCK keeps a fifo
// swapped in after the lstat from blocking the open.
Result<Fd> open_existing(std::string const& path, int flags, SafeOpenRules const& rules)
{
    struct stat seen;
    if (::lstat(path.c_str(), &seen) == -1)
        return Error::from_errno("unable to stat");
    if (S_ISLNK(seen.st_mode))
        return Error::plain("is a symbolic link");
    if (!S_ISREG(seen.st_mode))
        return Error::plain("not a regular file");
    int fd = open_retry(path, flags | O_NONBLOCK, 0);
    if (fd == -1) {
        if (errno == ELOOP)
            return Error::plain("is a symbolic link");
        return Error::from_errno("unable to open");
    }
    return verify_opened(Fd(fd), &seen, rules);
}

Result<Fd> open_checked(std::string const& path, int flags, SafeOpenRules const& rules)
{
    if (rules.check_directory) {
        if (auto ok = check_directory(path); !ok)
            return ok.error();
    }
    auto existing = open_existing(path, flags, rules);
    if (existing || !rules.create_mode || existing.error().errnum != ENOENT)
        return existing;
    // O_EXCL never follows a symbolic link and fails if anything appeared meanwhile.
    int fd = open_retry(path, flags | O_CREAT | O_EXCL, *rules.create_mode);
    if (fd == -1) {
        if (errno == EEXIST)
            return open_existing(path, flags, rules);
        return Error::from_errno("unable to create");
    }
    return verify_opened(Fd(fd), nullptr, rules);
}

} // namespace

Result<Fd> safe_open_read(std::string const& path, SafeOpenRules const& rules)
{
    SafeOpenRules read_rules = rules;
    read_rules.create_mode.reset();
    return open_checked(path, O_RDONLY, read_rules);
}

Result<Fd> safe_open_append(std::string const& path, SafeOpenRules const& rules)
{
    return open_checked(path, O_WRONLY | O_APPEND, rules);
}

} // namespace mta
