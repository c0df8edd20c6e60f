// session - the IMAP4rev1 protocol engine after login: the authenticated and selected
// states of RFC 3501 with IDLE, UIDPLUS, MOVE, NAMESPACE, ENABLE, SPECIAL-USE, UNSELECT,
// ID, LITERAL+ and CONDSTORE, on one user's Maildir, reading commands from `in` and
// answering on `out` (fd 0 and 1, plain text: TLS ends in front of this process).
//
//     imapd::Config config;
//     config.maildir = "/home/u/Maildir";
//     imapd::Session session(config, in, out);
//     return session.run("* PREAUTH [CAPABILITY ...] ready\r\n"); // until LOGOUT or EOF
//
// run() returns an exit code: 0 after LOGOUT or end of input, 111 after an I/O error or
// a timeout (the client has been sent "* BYE" when that was still possible).
#pragma once

#include "buffer.hpp"
#include "cache.hpp"
#include "command.hpp"
#include "fd.hpp"
#include "folder.hpp"
#include "mime.hpp"
#include "store.hpp"

#include <memory>
#include <optional>
#include <string>

namespace imapd {

struct Config {
    std::string maildir; // absolute path of INBOX
    int timeout_ms = 30 * 60 * 1000; // between commands
    int idle_timeout_ms = 60 * 60 * 1000; // inside IDLE
    std::string capability_extra; // appended to the CAPABILITY list
};

// The capabilities of the authenticated state.
std::string capabilities();

// The answer to FETCH, STORE, COPY or MOVE by sequence number naming a message that the
// client still knows (its EXPUNGE not yet sent) but whose file another session or program
// removed (RFC 2180 section 4, RFC 5530 EXPUNGEISSUED). The UID forms report the EXPUNGE
// instead and handle the messages that still exist.
inline constexpr char kExpungeIssued[]
    = "[EXPUNGEISSUED] some of the requested messages no longer exist";

class Session {
public:
    Session(Config config, mta::Reader& in, mta::Writer& out);
    int run(std::string_view greeting);

    // One command, for tests and the fuzzer: returns false when the session is over.
    bool execute(std::string const& text);

private:
    enum class Reply { ok, no, bad };
    enum class IdleWake { input, again, end }; // what ended a wait in IDLE
    struct Loaded {
        uint32_t uid = 0;
        std::string text;
        Part root;
        int64_t date = 0;
    };
    struct Meta {
        uint64_t size = 0;
        int64_t date = 0;
    };

    // session.cpp: loop, state, mailbox commands
    void send(std::string_view text);
    void tagged(std::string const& tag, Reply reply, std::string_view text);
    void report_updates(bool allow_expunge);
    bool dispatch(std::string const& tag, std::string const& verb, Cursor& c, bool uid);
    bool dispatch_uid(std::string const& tag, std::string const& verb, Cursor& c);
    bool dispatch_any_state(std::string const& tag, std::string const& verb, Cursor& c);
    bool dispatch_selected(std::string const& tag, std::string const& verb, Cursor& c);
    void cmd_capability(std::string const& tag, Cursor& c);
    void cmd_noop(std::string const& tag, Cursor& c);
    void cmd_logout(std::string const& tag, Cursor& c);
    void cmd_select(std::string const& tag, Cursor& c, bool read_only);
    void open_cache(std::string const& dir);
    void announce_flags(bool read_only);
    void announce_mailbox();
    void cmd_create(std::string const& tag, Cursor& c);
    void cmd_delete(std::string const& tag, Cursor& c);
    void cmd_rename(std::string const& tag, Cursor& c);
    void cmd_subscribe(std::string const& tag, Cursor& c, bool on);
    void cmd_list(std::string const& tag, Cursor& c, bool lsub);
    void cmd_status(std::string const& tag, Cursor& c);
    void cmd_namespace(std::string const& tag, Cursor& c);
    void cmd_enable(std::string const& tag, Cursor& c);
    void cmd_id(std::string const& tag, Cursor& c);
    void cmd_idle(std::string const& tag, Cursor& c);
    mta::Fd watch_folder();
    IdleWake idle_wait(mta::Fd const& notify, int& waited_ms);
    void end_idle(std::string const& tag);
    void cmd_close(std::string const& tag, Cursor& c, bool expunge);
    void deselect();

    // messages.cpp (fetch.cpp: FETCH, search.cpp: SEARCH): commands on the selected
    // mailbox's messages
    void cmd_fetch(std::string const& tag, Cursor& c, bool uid);
    void cmd_store(std::string const& tag, Cursor& c, bool uid);
    void cmd_search(std::string const& tag, Cursor& c, bool uid);
    void cmd_copy(std::string const& tag, Cursor& c, bool uid, bool move);
    void cmd_expunge(std::string const& tag, Cursor& c, bool uid);
    void cmd_append(std::string const& tag, Cursor& c);
    void cmd_check(std::string const& tag, Cursor& c);
    std::vector<size_t> resolve(SeqSet const& set, bool uid) const;
    bool check_sequence(std::string const& tag, SeqSet const& set, bool uid);
    bool report_expunges_first(std::string const& tag);
    std::optional<Folder> open_target(std::string const& tag, std::string const& name);
    void complete_fetch_items(FetchArgs& args, bool uid);
    void mark_seen(
        std::vector<size_t> const& indexes, bool report_flags, std::vector<char>& flags_added);
    std::optional<std::string> fetch_line(
        size_t index, std::vector<FetchItem> const& items, bool add_flags);
    void report_stored(
        std::vector<std::pair<size_t, std::string>> const& changes, bool silent, bool uid);
    std::optional<Meta> meta(Message const& m);
    std::optional<std::string> cached_headers(Message const& m);
    Loaded const* load(Message const& m);
    std::string fetch_item(Message const& m, size_t index, FetchItem const& item);
    std::string structure_item(Message const& m, FetchItem::Kind kind);
    bool matches(SearchKey const& key, size_t index); // search.cpp
    bool matches_state(SearchKey const& key, size_t index);
    bool matches_meta(SearchKey const& key, Message const& m);
    bool matches_content(SearchKey const& key, Message const& m);
    std::string flag_letters(std::vector<std::string> const& flags, bool assign, bool& ok);
    std::string flags_response(Message const& m) const;

    Config m_config;
    mta::Reader& m_in;
    mta::Writer& m_out;
    Store m_store;
    bool m_done = false;
    bool m_failed = false;
    bool m_condstore = false;
    bool m_allow_expunge = true; // EXPUNGE responses allowed during this command
    std::optional<Folder> m_folder;
    std::unique_ptr<Cache> m_cache;
    std::string m_folder_name;
    bool m_read_only = false;
    size_t m_exists = 0; // EXISTS as the client knows it
    std::unique_ptr<Loaded> m_loaded; // the last message read
};

} // namespace imapd
