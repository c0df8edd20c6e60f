#include "local_recipients.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

using namespace smtpd;

TEST_CASE("smtpd locals: the alias .qmail names local tries", "[smtpd][locals]")
{
    CHECK(alias_file_names("Joe.Smith")
        == std::vector<std::string> { ".qmail-joe:smith", ".qmail-default" });
    CHECK(alias_file_names("a-b-c")
        == std::vector<std::string> {
            ".qmail-a-b-c", ".qmail-a-b-default", ".qmail-a-default", ".qmail-default" });
    CHECK(alias_file_names("x-")
        == std::vector<std::string> { ".qmail-x-", ".qmail-x-default", ".qmail-default" });
}

TEST_CASE("smtpd locals: nsswitch passwd sources", "[smtpd][locals]")
{
    CHECK(passwd_is_files_only(""));
    CHECK(passwd_is_files_only("passwd: files\ngroup: files ldap\n"));
    CHECK(passwd_is_files_only("# c\npasswd:         files systemd\n"));
    CHECK(passwd_is_files_only("passwd: files [NOTFOUND=return] systemd"));
    CHECK(!passwd_is_files_only("passwd: files ldap\n"));
    CHECK(!passwd_is_files_only("passwd: compat\n"));
    CHECK(!passwd_is_files_only("  passwd: sss files # x\n"));
}

TEST_CASE("smtpd locals: accounts, alias files and other domains", "[smtpd][locals]")
{
    mta::test::TempDir dir;
    std::string const& root = dir.path();
    ::mkdir((root + "/control").c_str(), 0755);
    ::mkdir((root + "/alias").c_str(), 0755);
    ::mkdir((root + "/home").c_str(), 0755);
    dir.write("control/locals", "Mx.Example\nlocalhost\n");
    dir.write("alias/.qmail-postmaster", "./Maildir/\n");
    dir.write("alias/.qmail-list-default", "./Maildir/\n");
    // Accounts own their homes; as root (the test runner) they get another uid.
    uid_t const me = ::getuid() == 0 ? 4243 : ::getuid();
    if (::getuid() == 0) {
        REQUIRE(::chown((root + "/home").c_str(), me, 100) == 0);
        REQUIRE(::chown((root + "/alias").c_str(), me, 100) == 0);
    }
    std::string const passwd = dir.write("passwd",
        "joe:x:" + std::to_string(me) + ":100::" + root + "/home:/bin/sh\n"
            + "msalias:x:" + std::to_string(me) + ":100::/elsewhere:/bin/sh\n"
            + "gone:x:4242:100::" + root + "/nowhere:/bin/sh\n");
    std::string const files = dir.write("nsswitch", "passwd: files\n");
    LocalRecipients locals(root, passwd, files);
    auto box = [&](char const* local, char const* domain) {
        auto r = locals.check(local, domain);
        REQUIRE(r);
        return *r;
    };
    CHECK(box("joe", "mx.example") == Mailbox::valid);
    CHECK(box("Joe-anything", "MX.example") == Mailbox::valid);
    CHECK(box("postmaster", "localhost") == Mailbox::valid);
    CHECK(box("list-x-y", "localhost") == Mailbox::valid);
    CHECK(box("list", "localhost") == Mailbox::unknown);
    CHECK(box("gone", "localhost") == Mailbox::unknown); // home missing
    CHECK(box("nobody", "mx.example") == Mailbox::unknown);
    CHECK(box("nobody", "other.example") == Mailbox::not_virtual);
    CHECK(box("nobody", "") == Mailbox::not_virtual);
    dir.write("alias/.qmail-default", "./Maildir/\n");
    CHECK(box("nobody", "mx.example") == Mailbox::valid);

    LocalRecipients ldap(root, passwd, dir.write("ldap", "passwd: files ldap\n"));
    auto r = ldap.check("nobody-at-all", "mx.example");
    REQUIRE(r);
    CHECK(*r == Mailbox::not_virtual);
}
