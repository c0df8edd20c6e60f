// TempDir: the unit tests' shared temporary-directory fixture.
//
// The constructor makes a fresh, private (mode 0700) directory under /tmp with mkdtemp and
// fails the current test case if it cannot; the destructor removes the directory and
// everything below it. A TempDir can be neither copied nor moved, so exactly one object owns
// each directory. Test code only: failures are reported with Catch2's REQUIRE.
//
// Usage:
//
//     #include "temp_dir.hpp"
//
//     TEST_CASE("...")
//     {
//         mta::test::TempDir dir;
//         std::string conf = dir.write("me", "mx.example.org\n");     // mode 0644
//         std::string key = dir.write("secret", "x", 0600);           // mode exactly 0600
//         std::string none = dir.file("missing");                     // a path only
//         CHECK(some_function(dir.path()).ok());
//     } // the directory and its contents are gone here
#pragma once

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/types.h>
#include <system_error>
#include <unistd.h>

namespace mta::test {

class TempDir {
public:
    TempDir()
    {
        char tmpl[] = "/tmp/mta-unit-test.XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        m_path = tmpl;
    }
    ~TempDir()
    {
        std::error_code ignored; // a destructor must not throw
        std::filesystem::remove_all(m_path, ignored);
    }
    TempDir(TempDir const&) = delete;
    TempDir& operator=(TempDir const&) = delete;
    TempDir(TempDir&&) = delete;
    TempDir& operator=(TempDir&&) = delete;

    // The directory itself.
    std::string const& path() const { return m_path; }

    // The path of the entry `name` inside the directory; nothing is created.
    std::string file(std::string const& name) const { return m_path + "/" + name; }

    // Creates or truncates the file `name` inside the directory, writes `content` to it,
    // sets its permission bits to exactly `mode` (no umask) and returns its path.
    std::string write(std::string const& name, std::string_view content, mode_t mode = 0644) const
    {
        std::string p = file(name);
        int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        REQUIRE(fd >= 0);
        while (!content.empty()) {
            ssize_t n = ::write(fd, content.data(), content.size());
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                ::close(fd);
            REQUIRE(n > 0);
            content.remove_prefix(static_cast<size_t>(n));
        }
        REQUIRE(::close(fd) == 0);
        REQUIRE(::chmod(p.c_str(), mode) == 0);
        return p;
    }

private:
    std::string m_path;
};

} // namespace mta::test
