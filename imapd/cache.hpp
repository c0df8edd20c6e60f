// cache - what FETCH and SEARCH need of each message, so that a large mailbox is answered
// without reading its files: size with CRLF line ends, internal date, ENVELOPE and
// BODYSTRUCTURE, in one file per folder, keyed by the message's base name.
//
//     imapd::Cache cache(folder_dir);
//     if (auto const* e = cache.find(base)) { e->size; cache.envelope(*e); }
//     else cache.add(base, size, date, envelope, bodystructure, headers); // computed once
//
// File imapd.cache: "imapd-cache 2\n", then records "BASE SIZE DATE ENVLEN BSLEN HDRLEN\n"
// plus ENVLEN + BSLEN + HDRLEN bytes plus "\n"; the headers are "Name: unfolded value\n"
// lines. Sessions append whole records with one O_APPEND write;
// an index (base -> offset) is kept in memory and the strings are read back with pread
// when needed. The file is never fsynced: it can always be rebuilt from the messages, and
// a damaged or torn tail is ignored and rewritten. Failures to write are not errors (the
// answer is computed anyway); add() reports them only for the tests.
#pragma once

#include "error.hpp"
#include "fd.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace imapd {

// Header fields kept in the cache for SEARCH (FROM, TO, CC, BCC, SUBJECT, SENT*).
inline constexpr char const* kCachedFields[] = { "From", "To", "Cc", "Bcc", "Subject", "Date" };
// True for the name of one of kCachedFields (in any case).
bool is_cached_field(std::string_view name);

struct CacheEntry {
    uint64_t size = 0; // RFC822.SIZE
    int64_t date = 0; // INTERNALDATE, seconds
    uint64_t offset = 0; // of the envelope in the file
    uint32_t envelope_length = 0;
    uint32_t structure_length = 0;
    uint32_t headers_length = 0;
};

class Cache {
public:
    explicit Cache(std::string dir);
    CacheEntry const* find(std::string const& base);
    std::string envelope(CacheEntry const& e);
    std::string body_structure(CacheEntry const& e);
    std::string headers(CacheEntry const& e);
    mta::Status add(std::string const& base, uint64_t size, int64_t date, std::string_view envelope,
        std::string_view structure, std::string_view headers);
    // Rewrites the file with only the records of live_bases when it holds many dead ones.
    void compact(std::unordered_map<std::string, bool> const& live_bases);
    size_t size() const { return m_index.size(); }

private:
    void load_tail();
    bool start_index(uint64_t file_size);
    bool index_record(uint64_t file_size);
    std::string read_at(uint64_t offset, uint32_t length);

    std::string m_path;
    mta::Fd m_fd;
    uint64_t m_indexed = 0; // bytes of the file already indexed
    bool m_damaged = false;
    std::unordered_map<std::string, CacheEntry> m_index;
};

} // namespace imapd
