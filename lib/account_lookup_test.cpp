#include "account_lookup.hpp"

#include "auto_conf.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <map>
#include <string>
#include <unistd.h>

using namespace mta;
using mta::test::TempDir;

namespace {

// A passwd database and file system in memory; a name or path in `failing` fails with
// the given errno.
class FakeAccounts final : public AccountSource {
public:
    std::map<std::string, Account> accounts;
    std::map<std::string, uid_t> directories;
    std::map<std::string, int> failing;
    mutable std::vector<std::string> asked;

    void add(std::string const& name, uid_t uid, std::string const& home, uid_t owner)
    {
        accounts[name] = Account { name, uid, uid + 100, home, "/bin/sh" };
        directories[home] = owner;
    }

    Result<std::optional<Account>> find(std::string const& name) const override
    {
        asked.push_back(name);
        if (auto f = failing.find(name); f != failing.end())
            return Error { f->second, "unable to look up account" };
        auto it = accounts.find(name);
        if (it == accounts.end())
            return std::optional<Account>();
        return std::optional<Account>(it->second);
    }

    Result<std::optional<uid_t>> directory_owner(std::string const& path) const override
    {
        if (auto f = failing.find(path); f != failing.end())
            return Error { f->second, "unable to stat home directory" };
        auto it = directories.find(path);
        if (it == directories.end())
            return std::optional<uid_t>();
        return std::optional<uid_t>(it->second);
    }
};

FakeAccounts standard()
{
    FakeAccounts fake;
    fake.add(conf::kUserAlias, 900, "/var/mail-suite/alias", 900);
    fake.add("joe", 1000, "/home/joe", 1000);
    fake.add("joe-list", 1001, "/home/joe-list", 1001);
    fake.add("root", 0, "/root", 0);
    fake.add("stranger", 1002, "/home/stranger", 1000); // home owned by someone else
    fake.accounts["ghost"] = Account { "ghost", 1003, 1003, "/home/ghost", "" }; // no home
    return fake;
}

Delivery must_find(std::string_view local, FakeAccounts const& fake, Cdb* users = nullptr)
{
    auto d = find_delivery(local, users, fake);
    INFO("local " << local << (d ? "" : ": " + d.error().text()));
    REQUIRE(d.ok());
    return *d;
}

void check(Delivery const& d, std::string const& user, uid_t uid, std::string const& home,
    std::string const& dash, std::string const& ext)
{
    CHECK(d.user == user);
    CHECK(d.uid == uid);
    CHECK(d.home == home);
    CHECK(d.dash == dash);
    CHECK(d.ext == ext);
}

} // namespace

TEST_CASE("account lookup: system accounts by qmail-getpw's rules", "[lib][account_lookup]")
{
    auto fake = standard();
    check(must_find("joe", fake), "joe", 1000, "/home/joe", "", "");
    check(must_find("Joe", fake), "joe", 1000, "/home/joe", "", "");
    check(must_find("Joe-Foo-Bar", fake), "joe", 1000, "/home/joe", "-", "Foo-Bar");
    check(must_find("joe-", fake), "joe", 1000, "/home/joe", "-", "");
    // The longest name that is an account wins.
    check(must_find("joe-list-owner", fake), "joe-list", 1001, "/home/joe-list", "-", "owner");
    CHECK(must_find("joe", fake).gid == 1100);

    // uid 0, a home owned by another uid, a missing home: not that user, so the alias.
    auto const alias_home = "/var/mail-suite/alias";
    check(must_find("root", fake), conf::kUserAlias, 900, alias_home, "-", "root");
    check(must_find("Root-x", fake), conf::kUserAlias, 900, alias_home, "-", "Root-x");
    check(must_find("stranger", fake), conf::kUserAlias, 900, alias_home, "-", "stranger");
    check(must_find("ghost-1", fake), conf::kUserAlias, 900, alias_home, "-", "ghost-1");
    check(must_find("nosuch", fake), conf::kUserAlias, 900, alias_home, "-", "nosuch");
    check(must_find("joex", fake), conf::kUserAlias, 900, alias_home, "-", "joex");
}

TEST_CASE("account lookup: candidates are split at '-' and shorter than 32 bytes",
    "[lib][account_lookup]")
{
    auto fake = standard();
    std::string const long31(31, 'a');
    std::string const long32(32, 'b');
    fake.add(long31, 2000, "/home/a", 2000);
    fake.add(long32, 2001, "/home/b", 2001);
    check(must_find(long31 + "-x", fake), long31, 2000, "/home/a", "-", "x");
    fake.asked.clear();
    check(must_find(long32, fake), conf::kUserAlias, 900, "/var/mail-suite/alias", "-", long32);
    CHECK(fake.asked == std::vector<std::string> { conf::kUserAlias });

    fake.asked.clear();
    (void)must_find("A-b-C", fake);
    CHECK(fake.asked == std::vector<std::string> { "a-b-c", "a-b", "a", conf::kUserAlias });
    fake.asked.clear();
    (void)must_find("-x", fake); // "" is a candidate only before a leading '-'
    CHECK(fake.asked == std::vector<std::string> { "-x", "", conf::kUserAlias });
}

TEST_CASE("account lookup: failures are errors, never the alias account", "[lib][account_lookup]")
{
    auto fake = standard();
    fake.failing["joe"] = EIO;
    auto d = find_delivery("joe-x", nullptr, fake);
    REQUIRE_FALSE(d.ok());
    CHECK(d.error().errnum == EIO);

    fake = standard();
    fake.failing["/home/joe"] = ESTALE;
    d = find_delivery("joe", nullptr, fake);
    REQUIRE_FALSE(d.ok());
    CHECK(
        d.error().text() == std::string("unable to stat home directory: ") + std::strerror(ESTALE));

    fake = standard();
    fake.accounts.erase(conf::kUserAlias);
    d = find_delivery("nosuch", nullptr, fake);
    REQUIRE_FALSE(d.ok());
    CHECK(std::string(d.error().what) == "no alias account");
    CHECK(d.error().errnum == 0);

    fake = standard();
    fake.accounts[conf::kUserAlias].uid = 0;
    d = find_delivery("nosuch", nullptr, fake);
    REQUIRE_FALSE(d.ok());
    CHECK(std::string(d.error().what) == "not allowed to deliver as root");
}

TEST_CASE("account lookup: users/cdb comes first", "[lib][account_lookup]")
{
    TempDir dir;
    // uid 0 cannot come from newu, so write that record by hand.
    {
        auto w = CdbWriter::create(dir.file("cdb"));
        REQUIRE(w.ok());
        using namespace std::string_literals;
        REQUIRE(w->add("!joe\0"s,
                     "vjoe\0"
                     "3000\0"
                     "3001\0/srv/joe\0\0"s)
                    .ok());
        REQUIRE(w->add("!v-"s,
                     "vmail\0"
                     "3002\0"
                     "3003\0/srv/v\0-\0"s)
                    .ok());
        REQUIRE(w->add("!rootish\0"s,
                     "root\0"
                     "0\0"
                     "0\0/root\0\0"s)
                    .ok());
        REQUIRE(w->add(""s, "-"s).ok());
        REQUIRE(w->commit().ok());
    }
    auto users = Cdb::open(dir.file("cdb"));
    REQUIRE(users.ok());
    auto fake = standard();
    check(must_find("joe", fake, &*users), "vjoe", 3000, "/srv/joe", "", "");
    check(must_find("V-Ann", fake, &*users), "vmail", 3002, "/srv/v", "-", "Ann");
    // No entry: system accounts, then the alias, as without a table.
    check(must_find("joe-x", fake, &*users), "joe", 1000, "/home/joe", "-", "x");
    check(must_find("zed", fake, &*users), conf::kUserAlias, 900, "/var/mail-suite/alias", "-",
        "zed");
    auto root = find_delivery("rootish", &*users, fake);
    REQUIRE_FALSE(root.ok());
    CHECK(std::string(root.error().what) == "not allowed to deliver as root");
}

TEST_CASE("account lookup: the system source reads passwd and stat", "[lib][account_lookup]")
{
    auto const& system = system_accounts();
    auto root = system.find("root");
    REQUIRE(root.ok());
    REQUIRE(root->has_value());
    CHECK((*root)->uid == 0);
    CHECK((*root)->home == "/root");
    auto none = system.find("no-such-account-mta");
    REQUIRE(none.ok());
    CHECK_FALSE(none->has_value());

    TempDir dir;
    auto owner = system.directory_owner(dir.path());
    REQUIRE(owner.ok());
    REQUIRE(owner->has_value());
    CHECK(**owner == ::geteuid());
    auto file = system.directory_owner(dir.write("f", "x"));
    REQUIRE(file.ok());
    CHECK_FALSE(file->has_value());
    auto missing = system.directory_owner(dir.file("missing"));
    REQUIRE(missing.ok());
    CHECK_FALSE(missing->has_value());

    // root (uid 0) and nobody (home /nonexistent) are never system recipients.
    for (auto const* local : { "root", "nobody", "root-x", "nobody-y" }) {
        auto found = find_system_account(local, system);
        REQUIRE(found.ok());
        CHECK_FALSE(found->has_value());
    }
}
