#include "fd.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace mta;

TEST_CASE("Fd closes on destruction and reports close errors", "[lib][fd]")
{
    auto pipe = make_pipe();
    REQUIRE(pipe.ok());
    int raw = pipe->write_end.get();
    {
        Fd moved = std::move(pipe->write_end);
        CHECK_FALSE(pipe->write_end.valid());
        CHECK(moved.get() == raw);
    }
    char c;
    CHECK(::read(pipe->read_end.get(), &c, 1) == 0); // writer closed: EOF
    Fd bogus(9999);
    auto st = bogus.close();
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().errnum == EBADF);
}

TEST_CASE("write_file_atomic and read_file round-trip with limits", "[lib][fd]")
{
    test::TempDir dir;
    std::string path = dir.file("data");
    std::string content(100000, 'x');
    content += std::string("\0tail", 5);
    REQUIRE(write_file_atomic(path, content, 0640).ok());
    auto back = read_file(path, content.size());
    REQUIRE(back.ok());
    CHECK(*back == content);
    auto small = read_file(path, 1000);
    REQUIRE_FALSE(small.ok());
    CHECK(small.error().errnum == EFBIG);
    CHECK(::access((path + ".tmp").c_str(), F_OK) == -1);
    auto missing = read_file(dir.file("nothere"), 10);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().errnum == ENOENT);
}

TEST_CASE("open_excl refuses an existing file", "[lib][fd]")
{
    test::TempDir dir;
    std::string path = dir.write("exists", "x");
    auto fd = open_excl(path);
    REQUIRE_FALSE(fd.ok());
    CHECK(fd.error().errnum == EEXIST);
    CHECK(std::string(fd.error().what) == "unable to create");
}

TEST_CASE("list_directory lists sorted names", "[lib][fd]")
{
    test::TempDir dir;
    dir.write("b", "");
    dir.write("a", "");
    dir.write(".hidden", "");
    auto names = list_directory(dir.path());
    REQUIRE(names.ok());
    CHECK(*names == std::vector<std::string> { ".hidden", "a", "b" });
    auto missing = list_directory(dir.file("nothere"));
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().errnum == ENOENT);
}

TEST_CASE("fd_move puts a descriptor on a given number", "[lib][fd]")
{
    auto pipe = make_pipe();
    REQUIRE(pipe.ok());
    int from = pipe->write_end.release();
    REQUIRE(fd_move(50, from).ok());
    CHECK(::fcntl(from, F_GETFD) == -1);
    REQUIRE(write_all(50, "hi").ok());
    char buf[2];
    CHECK(::read(pipe->read_end.get(), buf, 2) == 2);
    ::close(50);
}

TEST_CASE("dirname_of", "[lib][fd]")
{
    CHECK(dirname_of("a/b/c") == "a/b");
    CHECK(dirname_of("c") == ".");
    CHECK(dirname_of("/c") == "/");
}
