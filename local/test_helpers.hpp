// test_helpers - fixtures for local's unit tests (test code only).
//
//     mta::test::TempDir home;
//     local::test::InDirectory in(home.path());     // chdir; back when it goes out of scope
//     auto fd = local::test::message_fd(home, "Subject: x\n\nbody\n");
#pragma once

#include "fd.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <string>
#include <string_view>
#include <unistd.h>

namespace local::test {

// The working directory is process-wide: local's lookups work in "." as local itself
// chdir's to the home directory. The previous directory is restored on destruction.
class InDirectory {
public:
    explicit InDirectory(std::string const& dir)
        : m_old(::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC))
    {
        REQUIRE(m_old.valid());
        REQUIRE(::chdir(dir.c_str()) == 0);
    }
    ~InDirectory() { (void)::fchdir(m_old.get()); }
    InDirectory(InDirectory const&) = delete;
    InDirectory& operator=(InDirectory const&) = delete;

private:
    mta::Fd m_old;
};

// A read-only descriptor on a new file "message" holding text.
inline mta::Fd message_fd(mta::test::TempDir const& dir, std::string_view text)
{
    auto path = dir.write("message", text, 0600);
    mta::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(fd.valid());
    return fd;
}

inline std::string read_all(std::string const& path)
{
    auto got = mta::read_file(path, 1 << 24);
    REQUIRE(got.ok());
    return *got;
}

} // namespace local::test
