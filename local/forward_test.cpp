#include "forward.hpp"

#include "test_helpers.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

using namespace local;
using mta::test::TempDir;

namespace {

// $QMAILQUEUE for the duration of a test.
class FakeQueue {
public:
    FakeQueue(TempDir const& dir, int exit_code)
    {
        m_path = dir.write("fake-queue",
            "#!/bin/sh\ncat > queued.message\ncat <&1 > queued.envelope\nexit "
                + std::to_string(exit_code) + "\n",
            0755);
        ::setenv("QMAILQUEUE", m_path.c_str(), 1);
    }
    ~FakeQueue() { ::unsetenv("QMAILQUEUE"); }
    FakeQueue(FakeQueue const&) = delete;
    FakeQueue& operator=(FakeQueue const&) = delete;

private:
    std::string m_path;
};

} // namespace

TEST_CASE("NEWSENDER is the sender unless a list has an -owner file", "[local][forward]")
{
    struct {
        std::string_view sender;
        bool owner, owner_default;
        std::string_view want;
    } const cases[] = {
        { "a@b", false, false, "a@b" },
        { "a@b", true, false, "joe-list-owner@x.org" },
        { "a@b", true, true, "joe-list-owner-@x.org-@[]" },
        { "", true, true, "" },
        { "#@[]", true, false, "#@[]" },
    };
    for (auto const& c : cases) {
        INFO("sender " << c.sender << " owner " << c.owner << " default " << c.owner_default);
        CHECK(new_sender(c.sender, "joe-list", "x.org", c.owner, c.owner_default) == c.want);
    }
}

TEST_CASE("find_new_sender looks for .qmail-EXT-owner files", "[local][forward]")
{
    TempDir home;
    test::InDirectory in(home.path());
    Recipient r { "joe", home.path(), "joe-list", "-", "List", "x.org", "a@b", "" };
    auto plain = find_new_sender(r, "list");
    REQUIRE(plain.ok());
    CHECK(*plain == "a@b");

    home.write(".qmail-list-owner", "&owner@x.org\n");
    auto owner = find_new_sender(r, "list");
    REQUIRE(owner.ok());
    CHECK(*owner == "joe-list-owner@x.org");

    home.write(".qmail-list-owner-default", "&owner@x.org\n");
    auto verp = find_new_sender(r, "list");
    REQUIRE(verp.ok());
    CHECK(*verp == "joe-list-owner-@x.org-@[]");

    r.sender = "";
    auto bounce = find_new_sender(r, "list");
    REQUIRE(bounce.ok());
    CHECK(bounce->empty());
}

TEST_CASE("forwards go to the queue in one call with Delivered-To first", "[local][forward]")
{
    TempDir dir;
    FakeQueue queue(dir, 0);
    auto msg = test::message_fd(dir, "Subject: x\n\nbody\n");
    auto qp = forward_message(dir.path(), "Delivered-To: joe@x.org\n", msg.get(), "a@b",
        { "one@example.org", "two@example.net" });
    REQUIRE(qp.ok());
    CHECK(*qp > 0);
    CHECK(test::read_all(dir.file("queued.message"))
        == "Delivered-To: joe@x.org\nSubject: x\n\nbody\n");
    CHECK(test::read_all(dir.file("queued.envelope"))
        == std::string("Fa@b\0Tone@example.org\0Ttwo@example.net\0\0", 40));
}

TEST_CASE("queue refusals become local's failures", "[local][forward]")
{
    struct {
        int queue_exit;
        int want_code;
        std::string_view want_text;
    } const cases[] = {
        { 31, 100,
            "Unable to forward message: mail server permanently rejected message (#5.3.0)." },
        { 53, 111, "Unable to forward message: qq write error or disk full (#4.3.0)." },
    };
    for (auto const& c : cases) {
        INFO("queue exit " << c.queue_exit);
        TempDir dir;
        FakeQueue queue(dir, c.queue_exit);
        auto msg = test::message_fd(dir, "x\n");
        auto got = forward_message(dir.path(), "Delivered-To: a@b\n", msg.get(), "", { "c@d" });
        REQUIRE_FALSE(got.ok());
        CHECK(got.failure().exit_code == c.want_code);
        CHECK(got.failure().text == c.want_text);
    }
}
