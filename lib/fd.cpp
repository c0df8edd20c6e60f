#include "fd.hpp"

#include <algorithm>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mta {

Fd& Fd::operator=(Fd&& other) noexcept
{
    if (this != &other) {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = other.release();
    }
    return *this;
}

Fd::~Fd()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

int Fd::release()
{
    int fd = m_fd;
    m_fd = -1;
    return fd;
}

Status Fd::close()
{
    int fd = release();
    if (fd >= 0 && ::close(fd) == -1)
        return Error::from_errno("unable to close");
    return {};
}

namespace {

Result<Fd> open_with(std::string const& path, int flags, mode_t mode, const char* what)
{
    int fd;
    do
        fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    while (fd == -1 && errno == EINTR);
    if (fd == -1)
        return Error::from_errno(what);
    return Fd(fd);
}

} // namespace

Result<Fd> open_read(std::string const& path)
{
    return open_with(path, O_RDONLY | O_NOCTTY, 0, "unable to open for reading");
}

Result<Fd> open_write(std::string const& path)
{
    return open_with(path, O_WRONLY | O_NOCTTY, 0, "unable to open for writing");
}

Result<Fd> open_excl(std::string const& path, mode_t mode)
{
    return open_with(path, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY, mode, "unable to create");
}

Result<Fd> open_trunc(std::string const& path, mode_t mode)
{
    return open_with(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY, mode, "unable to create");
}

Result<Fd> open_append(std::string const& path, mode_t mode)
{
    return open_with(
        path, O_WRONLY | O_CREAT | O_APPEND | O_NOCTTY, mode, "unable to open for appending");
}

Result<Fd> open_directory(std::string const& path)
{
    return open_with(path, O_RDONLY | O_DIRECTORY, 0, "unable to open directory");
}

Result<Pipe> make_pipe()
{
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) == -1)
        return Error::from_errno("unable to create pipe");
    return Pipe { Fd(fds[0]), Fd(fds[1]) };
}

Status write_all(int fd, std::string_view data)
{
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n == -1) {
            if (errno == EINTR)
                continue;
            return Error::from_errno("unable to write");
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

Status fsync_fd(int fd)
{
    if (::fsync(fd) == -1)
        return Error::from_errno("unable to fsync");
    return {};
}

Status fsync_dir(std::string const& dir)
{
    auto fd = open_directory(dir);
    if (!fd)
        return fd.error();
    if (::fsync(fd->get()) == -1 && errno != EINVAL)
        return Error::from_errno("unable to fsync directory");
    return {};
}

Status set_cloexec(int fd, bool on)
{
    int flags = ::fcntl(fd, F_GETFD);
    if (flags == -1)
        return Error::from_errno("unable to get descriptor flags");
    flags = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
    if (::fcntl(fd, F_SETFD, flags) == -1)
        return Error::from_errno("unable to set descriptor flags");
    return {};
}

Status set_nonblocking(int fd, bool on)
{
    int flags = ::fcntl(fd, F_GETFL);
    if (flags == -1)
        return Error::from_errno("unable to get file status flags");
    flags = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    if (::fcntl(fd, F_SETFL, flags) == -1)
        return Error::from_errno("unable to set file status flags");
    return {};
}

Status fd_move(int to, int from)
{
    if (to == from)
        return set_cloexec(to, false);
    if (::dup2(from, to) == -1)
        return Error::from_errno("unable to move descriptor");
    ::close(from);
    return {};
}

Result<std::string> read_file(std::string const& path, size_t max_bytes)
{
    auto fd = open_read(path);
    if (!fd)
        return fd.error();
    std::string out;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd->get(), buf, sizeof buf);
        if (n == 0)
            return out;
        if (n == -1) {
            if (errno == EINTR)
                continue;
            return Error::from_errno("unable to read");
        }
        if (out.size() + static_cast<size_t>(n) > max_bytes)
            return Error { EFBIG, "file too big" };
        out.append(buf, static_cast<size_t>(n));
    }
}

Result<std::vector<std::string>> list_directory(std::string const& dir)
{
    DIR* d = ::opendir(dir.c_str());
    if (!d)
        return Error::from_errno("unable to open directory");
    std::vector<std::string> names;
    errno = 0;
    while (dirent* e = ::readdir(d)) {
        std::string_view name = e->d_name;
        if (name != "." && name != "..")
            names.emplace_back(name);
    }
    int read_errno = errno;
    ::closedir(d);
    if (read_errno != 0)
        return Error { read_errno, "unable to read directory" };
    std::sort(names.begin(), names.end());
    return names;
}

std::string dirname_of(std::string const& path)
{
    auto slash = path.rfind('/');
    if (slash == std::string::npos)
        return ".";
    if (slash == 0)
        return "/";
    return path.substr(0, slash);
}

Status write_file_atomic(std::string const& path, std::string_view data, mode_t mode)
{
    std::string tmp = path + ".tmp";
    auto fd = open_trunc(tmp, mode);
    if (!fd)
        return fd.error();
    Status st = write_all(fd->get(), data);
    if (st)
        st = fsync_fd(fd->get());
    if (st)
        st = fd->close();
    if (st && ::rename(tmp.c_str(), path.c_str()) == -1)
        st = Error::from_errno("unable to rename");
    if (!st) {
        ::unlink(tmp.c_str());
        return st;
    }
    return fsync_dir(dirname_of(path));
}

} // namespace mta
