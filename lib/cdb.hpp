// cdb - constant databases (djb's cdb format) through tinycdb: Cdb reads a table,
// CdbWriter builds one and replaces the old table atomically.
//
//     auto db = mta::Cdb::open("users/cdb");
//     if (!db) return db.error();
//     auto found = db->find("!joe-");      // Result<std::optional<std::string>>
//     if (!found) return found.error();    // corrupt table
//     if (!*found) ...                     // key absent
//
//     auto w = mta::CdbWriter::create("users/cdb");   // writes users/cdb.tmp
//     if (!w) return w.error();
//     for (...)
//         if (auto st = w->add(key, value); !st) return st.error();
//     if (auto st = w->commit(); !st) return st.error();
//
// Keys and values are arbitrary bytes (NUL included); a key may appear more than once
// (find gives the first value, find_all every value in insertion order).
//
// CdbWriter writes PATH.tmp, truncating a leftover from a crashed build, as qmail-newu
// does, so two builders of the same table must not run at once (the caller serializes
// them). commit() = finish the table, fsync, close, rename PATH.tmp over PATH, fsync
// the directory: readers see the old table or the new one, never a half-built one.
// A writer destroyed without a successful commit() removes PATH.tmp and leaves PATH
// alone; so does every failed add() or commit(), after which the writer is finished.
//
// A Cdb maps the file it opened; a table renamed over it later is not seen until the
// caller opens it again. A Cdb is not safe for use from two threads at once.
//
// Errors are mta::Error values. System errors keep errno: "unable to open for reading",
// "unable to map cdb", "unable to read cdb", "unable to add to cdb", "unable to write
// cdb", "unable to create", "unable to fsync", "unable to close", "unable to rename",
// "unable to open directory". A file that is not a valid cdb (shorter than its header,
// a pointer or length out of range, a truncated copy) gives "corrupt cdb file" with
// errno 0, never a crash. add() refuses a key or value of 4 GiB or more ("key too
// long", "value too long"; find treats such a key as absent); a writer used after
// commit() or a failure gives "cdb writer already finished".
#pragma once

#include "error.hpp"
#include "fd.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

struct cdb;
struct cdb_make;

namespace mta {

class Cdb {
public:
    static Result<Cdb> open(std::string const& path);

    // The first value stored under key; nullopt when there is none.
    Result<std::optional<std::string>> find(std::string_view key);
    Result<bool> contains(std::string_view key);
    // Every value stored under key, in insertion order; empty when there is none.
    Result<std::vector<std::string>> find_all(std::string_view key);

    // Calls visit for every record in file order; stops at the first error visit
    // returns and returns it. The views are valid during the call only.
    using Visitor = std::function<Status(std::string_view key, std::string_view value)>;
    Status for_each(Visitor const& visit);

private:
    struct Free {
        void operator()(::cdb* db) const;
    };
    Cdb(Fd fd, std::unique_ptr<::cdb, Free> db);

    Fd m_fd;
    std::unique_ptr<::cdb, Free> m_db;
};

class CdbWriter {
public:
    static Result<CdbWriter> create(std::string const& path, mode_t mode = 0644);

    CdbWriter(CdbWriter&& other) noexcept;
    CdbWriter& operator=(CdbWriter&& other) noexcept;
    CdbWriter(CdbWriter const&) = delete;
    CdbWriter& operator=(CdbWriter const&) = delete;
    ~CdbWriter(); // rolls back an uncommitted build

    Status add(std::string_view key, std::string_view value);
    Status commit();

private:
    CdbWriter(std::string path, Fd fd, std::unique_ptr<::cdb_make> make);
    void rollback();

    std::string m_path;
    std::string m_tmp;
    Fd m_fd;
    std::unique_ptr<::cdb_make> m_make; // non-null while a build is in progress
};

} // namespace mta
