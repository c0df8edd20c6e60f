#include "cache.hpp"
#include "fd.hpp"
#include "folder.hpp"
#include "store.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace imapd;
using mta::test::TempDir;

namespace {

std::string make_maildir(TempDir const& dir)
{
    std::string const md = dir.file("Maildir");
    for (char const* sub : { "", "/tmp", "/new", "/cur" })
        REQUIRE(::mkdir((md + sub).c_str(), 0700) == 0);
    return md;
}

// A delivery into new/ with a given mtime, so the UID order is known.
void deliver(
    std::string const& md, std::string const& name, time_t when, std::string const& where = "new")
{
    std::string const path = md + "/" + where + "/" + name;
    REQUIRE(mta::write_file_atomic(path, "Subject: " + name + "\n\nbody\n", 0600));
    struct timespec times[2] = { { when, 0 }, { when, 0 } };
    REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}

// A Maildir with "1.a" and "2.b" in cur/, delivered at 1 and 2: UIDs 1 and 2.
std::string make_two_message_maildir(TempDir const& dir)
{
    std::string const md = make_maildir(dir);
    deliver(md, "1.a", 1, "cur");
    deliver(md, "2.b", 2, "cur");
    return md;
}

std::vector<uint32_t> uids(Folder const& f)
{
    std::vector<uint32_t> out;
    for (auto const& m : f.messages())
        out.push_back(m.uid);
    return out;
}

} // namespace

TEST_CASE("UIDs follow delivery order and survive reopening", "[imapd][folder]")
{
    TempDir dir;
    std::string const md = make_maildir(dir);
    deliver(md, "300.b", 300);
    deliver(md, "100.c", 100);
    deliver(md, "200.a", 200, "cur");
    auto f = Folder::open(md, false);
    REQUIRE(f);
    REQUIRE(f->messages().size() == 3);
    CHECK(f->messages()[0].base == "100.c");
    CHECK(f->messages()[1].base == "200.a");
    CHECK(f->messages()[2].base == "300.b");
    CHECK(uids(*f) == std::vector<uint32_t> { 1, 2, 3 });
    CHECK(f->uidnext() == 4);
    CHECK(f->messages()[0].in_new); // read-only: nothing moved
    uint32_t const validity = f->uidvalidity();

    // A new delivery older than the others still gets the next UID.
    deliver(md, "050.d", 50);
    auto again = Folder::open(md, true);
    REQUIRE(again);
    CHECK(again->uidvalidity() == validity);
    CHECK(uids(*again) == std::vector<uint32_t> { 1, 2, 3, 4 });
    CHECK(again->messages()[3].base == "050.d");
    // Writable: new/ moved to cur/ with an empty info, counted as recent here.
    CHECK(mta::list_directory(md + "/new")->empty());
    CHECK(again->messages()[0].name == "100.c:2,");
    CHECK(again->messages()[0].recent);
    CHECK_FALSE(again->messages()[1].recent); // was in cur/ already
}

TEST_CASE("changes by other programs show up in the view", "[imapd][folder]")
{
    TempDir dir;
    std::string const md = make_two_message_maildir(dir);
    auto f = Folder::open(md, true);
    REQUIRE(f);
    uint64_t const before = f->messages()[0].modseq;
    // A mail reader sets \Seen by renaming; POP3 deletes the other message.
    REQUIRE(::rename((md + "/cur/1.a").c_str(), (md + "/cur/1.a:2,S").c_str()) == 0);
    REQUIRE(::unlink((md + "/cur/2.b").c_str()) == 0);
    deliver(md, "3.c", 3);
    REQUIRE(f->sync());
    auto& view = f->messages();
    REQUIRE(view.size() == 3);
    CHECK(view[0].flags == "S");
    CHECK(view[0].flags_changed);
    CHECK(view[0].modseq > before);
    CHECK(view[1].expunged);
    CHECK(view[2].uid == 3);
    CHECK(f->take_expunged() == std::vector<size_t> { 1 });
    CHECK(uids(*f) == std::vector<uint32_t> { 1, 3 });
    // The list on disk agrees; UID 2 is never given again.
    auto fresh = Folder::open(md, false);
    REQUIRE(fresh);
    CHECK(uids(*fresh) == std::vector<uint32_t> { 1, 3 });
    CHECK(fresh->uidnext() == 4);
}

TEST_CASE("store, keywords, expunge and adopt", "[imapd][folder]")
{
    TempDir dir;
    std::string const md = make_two_message_maildir(dir);
    auto f = Folder::open(md, true);
    REQUIRE(f);
    auto letter = f->keyword_letter("$Label1", true);
    REQUIRE(letter);
    REQUIRE(*letter == 'a');
    CHECK(f->keyword_letter("$label1", false).value() == 'a'); // case-insensitive
    auto done = f->store({ { 0, "Sa" }, { 1, "T" } });
    REQUIRE(done);
    CHECK(done->size() == 2);
    CHECK(::access((md + "/cur/1.a:2,Sa").c_str(), F_OK) == 0);
    CHECK(f->imap_flags("Sa") == "\\Seen $Label1");
    auto gone = f->expunge({ 1 });
    REQUIRE(gone);
    CHECK(*gone == std::vector<uint32_t> { 2 });
    CHECK(::access((md + "/cur/2.b:2,T").c_str(), F_OK) == -1);

    deliver(md, "9.z", 9);
    auto added = f->adopt({ { "9.z", "F" } });
    REQUIRE(added);
    CHECK(*added == std::vector<uint32_t> { 3 });
    CHECK(::access((md + "/cur/9.z:2,F").c_str(), F_OK) == 0);
    auto missing = f->adopt({ { "nothere", "" } });
    REQUIRE(missing);
    CHECK(*missing == std::vector<uint32_t> { 0 });

    auto st = folder_status(md);
    REQUIRE(st);
    CHECK(st->messages == 2);
    CHECK(st->unseen == 1);
    CHECK(st->uidnext == 4);
}

TEST_CASE("a damaged UID list starts a new UIDVALIDITY", "[imapd][folder]")
{
    TempDir dir;
    std::string const md = make_maildir(dir);
    deliver(md, "1.a", 1, "cur");
    auto f = Folder::open(md, false);
    REQUIRE(f);
    uint32_t const validity = f->uidvalidity();
    for (char const* junk : { "garbage\n", "imapd-uidlist 1 5 3 1\n9 1 cur 1.a\n",
             "imapd-uidlist 1 5 3 1\n1 1 cur 1.a" /* no final newline */ }) {
        INFO(junk);
        REQUIRE(mta::write_file_atomic(md + "/imapd.uidlist", junk, 0600));
        auto g = Folder::open(md, false);
        REQUIRE(g);
        CHECK(g->uidvalidity() != 5u);
        CHECK(g->uidvalidity() >= validity);
        CHECK(g->messages().size() == 1);
    }
}

TEST_CASE("the cache is shared through its file and survives a torn tail", "[imapd][folder]")
{
    TempDir dir;
    {
        Cache c(dir.path());
        REQUIRE(c.add("m1", 100, 5, "(ENV)", "(BS)", "Subject: x\n"));
        CHECK(c.find("m2") == nullptr);
    }
    Cache second(dir.path());
    auto const* e = second.find("m1");
    REQUIRE(e);
    CHECK(e->size == 100);
    CHECK(e->date == 5);
    CHECK(second.envelope(*e) == "(ENV)");
    CHECK(second.body_structure(*e) == "(BS)");
    CHECK(second.headers(*e) == "Subject: x\n");
    Cache third(dir.path());
    REQUIRE(second.add("m2", 7, 8, "e", "b", ""));
    CHECK(third.find("m2") != nullptr); // appended by another session
    {
        auto fd = mta::open_append(dir.file("imapd.cache"));
        REQUIRE(fd);
        REQUIRE(mta::write_all(fd->get(), "m3 1 2 50 50 0\nshort"));
    }
    Cache torn(dir.path());
    CHECK(torn.find("m1") != nullptr);
    CHECK(torn.find("m3") == nullptr);
}

TEST_CASE("LIST patterns", "[imapd][store]")
{
    struct Case {
        char const* name;
        char const* pattern;
        bool match;
    };
    Case const cases[] = { { "INBOX", "*", true }, { "a.b", "%", false }, { "a.b", "a.%", true },
        { "a.b.c", "a.%", false }, { "a.b.c", "a.*", true }, { "abc", "a%c", true },
        { "a.c", "a%c", false }, { "x", "", false }, { "", "", true }, { "Sent", "S*t", true },
        { "Sent", "s*", false } };
    for (auto const& c : cases) {
        INFO(c.name << " " << c.pattern);
        CHECK(list_match(c.name, c.pattern) == c.match);
    }
}

TEST_CASE("folders: create, rename with children, delete", "[imapd][store]")
{
    TempDir dir;
    std::string const md = make_maildir(dir);
    Store store(md);
    REQUIRE(store.make_special_folders());
    CHECK(store.exists("Sent"));
    CHECK(store.exists("inbox"));
    REQUIRE(store.create("a"));
    REQUIRE(store.create("a.b"));
    CHECK(store.create("a").error().errnum == EEXIST);
    CHECK(store.create("a..b").error().errnum == EINVAL);
    REQUIRE(store.rename("a", "z"));
    CHECK(store.exists("z.b"));
    CHECK_FALSE(store.exists("a.b"));
    auto entries = store.list("", "z*");
    REQUIRE(entries.size() == 2);
    CHECK(entries[0].attributes == "\\HasChildren");
    REQUIRE(store.remove("z"));
    auto after = store.list("", "z*");
    REQUIRE(after.size() == 2);
    CHECK(after[0].attributes == "\\Noselect \\HasChildren");
    CHECK(store.remove("INBOX").error().errnum == EPERM);
    CHECK(store.remove("nothing").error().errnum == ENOENT);
    auto subs = store.subscriptions();
    CHECK(std::find(subs.begin(), subs.end(), "Trash") != subs.end());
}

TEST_CASE("same mtime: UIDs follow the time in the unique name", "[imapd][folder]")
{
    TempDir dir;
    std::string const md = make_maildir(dir);
    deliver(md, "100.M100000P7Q1.host", 500);
    deliver(md, "100.M99999P7Q2.host", 500);
    deliver(md, "99.M5P7Q3.host", 500);
    auto f = Folder::open(md, false);
    REQUIRE(f);
    REQUIRE(f->messages().size() == 3);
    CHECK(f->messages()[0].base == "99.M5P7Q3.host");
    CHECK(f->messages()[1].base == "100.M99999P7Q2.host");
    CHECK(f->messages()[2].base == "100.M100000P7Q1.host");
}

TEST_CASE("find_file follows a rename without touching the view", "[imapd][folder]")
{
    TempDir dir;
    std::string const md = make_maildir(dir);
    deliver(md, "1.a", 1);
    auto f = Folder::open(md, false);
    REQUIRE(f);
    CHECK(f->find_file("1.a") == md + "/new/1.a");
    REQUIRE(::rename((md + "/new/1.a").c_str(), (md + "/cur/1.a:2,S").c_str()) == 0);
    deliver(md, "2.b", 2);
    CHECK(f->find_file("1.a") == md + "/cur/1.a:2,S");
    CHECK(f->messages().size() == 1);
    CHECK_FALSE(f->find_file("nothing"));
}
