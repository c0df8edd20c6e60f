// folder - one Maildir folder as an IMAP mailbox: stable UIDs in a per-folder list, flags
// in file names, keywords in a per-folder table, and a session's view of the messages.
//
//     auto folder = imapd::Folder::open("/home/u/Maildir/.Sent", true);  // read-write
//     if (!folder) return folder.error();
//     if (auto st = folder->sync(); !st) return st.error();  // new mail, others' changes
//     for (auto const& m : folder->messages()) ... m.uid, m.flags ("FS" + keyword letters)
//
// Files in the folder (all written by tmp + rename, under an flock on imapd.lock):
//   imapd.uidlist   "imapd-uidlist 1 UIDVALIDITY UIDNEXT HIGHESTMODSEQ" then one line
//                   per message "UID MODSEQ new|cur FILENAME", in UID order;
//   imapd.keywords  "LETTER KEYWORD" per line: keyword letters a-z in file names.
// A message is known by its base name (the file name up to ':'), so a move from new/ to
// cur/ or a flag change by another program (a POP3 session, a mail reader) keeps its UID.
// The uidlist is fsynced, then renamed, then its directory fsynced, because a list lost
// in a crash would give new messages UIDs that clients already saw for others.
//
// The view: messages() is what this session has told its client. sync() appends new
// messages, marks vanished ones `expunged` and changed ones `flags_changed`; the session
// reports and clears those marks (take_expunged) when IMAP allows it.
#pragma once

#include "error.hpp"

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace imapd {

struct Message {
    uint32_t uid = 0;
    uint64_t modseq = 0;
    std::string base; // file name up to ':'
    std::string name; // the whole file name in new/ or cur/
    std::string flags; // sorted Maildir letters: "DFPRST" and keyword letters a-z
    bool in_new = false;
    bool recent = false;
    bool expunged = false; // gone from disk, not yet reported
    bool flags_changed = false; // changed by someone else, not yet reported
};

struct FolderStatus {
    uint32_t messages = 0, recent = 0, unseen = 0, uidnext = 0, uidvalidity = 0;
    uint64_t highestmodseq = 0;
};

class Folder {
public:
    // Opens a Maildir folder (tmp, new and cur must exist). writable: new/ messages move to
    // cur/ and count as \Recent for this session.
    static mta::Result<Folder> open(std::string const& dir, bool writable);

    mta::Status sync();
    std::vector<Message>& messages() { return m_view; }
    std::vector<Message> const& messages() const { return m_view; }
    // Removes the expunged marks from the view; returns their indexes, highest first.
    std::vector<size_t> take_expunged();

    // New flags for messages of the view (index, letters). A file renamed by another
    // program is followed by its base name; messages gone meanwhile are skipped and marked
    // expunged; the others get a new modseq. Returns the indexes changed.
    mta::Result<std::vector<size_t>> store(
        std::vector<std::pair<size_t, std::string>> const& changes);
    // Deletes the files of the messages given (by index) that still exist; returns the UIDs
    // removed. They stay in the view marked expunged.
    mta::Result<std::vector<uint32_t>> expunge(std::vector<size_t> const& indexes);
    // Takes over messages just put into new/ (APPEND, COPY): each is renamed to
    // cur/NAME:2,FLAGS and gets its UID at once, in the order given. Returns the UIDs (0
    // for a file that vanished meanwhile).
    mta::Result<std::vector<uint32_t>> adopt(
        std::vector<std::pair<std::string, std::string>> const& names_and_flags);

    std::string path_of(Message const& m) const;
    // The current path of the file with this base name, found by a directory scan
    // (nullopt when it is gone). Does not touch the view.
    std::optional<std::string> find_file(std::string const& base) const;
    std::string const& dir() const { return m_dir; }
    uint32_t uidvalidity() const { return m_uidvalidity; }
    uint32_t uidnext() const { return m_uidnext; }
    uint64_t highestmodseq() const { return m_highestmodseq; }
    bool writable() const { return m_writable; }

    // Keywords: letter for a name (assigned and saved when new and assign is true).
    mta::Result<std::optional<char>> keyword_letter(std::string const& name, bool assign);
    std::vector<std::string> const& keywords() const { return m_keywords; }
    // IMAP flag list "\Seen \Answered $label" of letters.
    std::string imap_flags(std::string const& letters) const;

private:
    struct Record {
        uint32_t uid;
        uint64_t modseq;
        bool in_new;
        std::string name;
    };
    class Lock;
    struct Disk; // the files found in new/ and cur/ (folder.cpp)
    mta::Status sync_locked();
    mta::Result<Lock> lock_and_sync();
    mta::Status write_uidlist_durably();
    bool keep_known(std::vector<Record>& records, Disk& disk, std::vector<Record>& kept);
    mta::Status add_unlisted(Disk& disk, std::vector<Record>& kept);
    std::vector<uint32_t> move_new_to_cur(std::vector<Record>& records);
    void update_view(
        uint32_t old_validity, std::vector<Record> records, std::vector<uint32_t> const& moved);
    mta::Status read_uidlist(std::vector<Record>& records);
    mta::Status write_uidlist(std::vector<Record> const& records);
    mta::Status load_keywords();
    void merge(std::vector<Record> const& records);
    bool unchanged() const;
    void remember_stamps();

    std::string m_dir;
    bool m_writable = false;
    bool m_list_fresh = false; // no usable list on disk: write one
    uint32_t m_uidvalidity = 0;
    uint32_t m_uidnext = 1;
    uint64_t m_highestmodseq = 1;
    std::vector<Message> m_view;
    std::vector<Record> m_records; // the list as last read or written
    std::vector<std::string> m_keywords; // index = letter - 'a'
    struct timespec m_stamps[3] = {};
    bool m_stamps_recent = false; // a stamp within 100 ms of the look
    ino_t m_list_ino = 0;
};

// STATUS of a folder that is not selected (syncs its list; never moves new/ files).
mta::Result<FolderStatus> folder_status(std::string const& dir);

// Maildir letters of the system flags ('\0' for a keyword or an unknown flag).
char system_flag_letter(std::string const& flag);

} // namespace imapd
