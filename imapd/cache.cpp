#include "cache.hpp"

#include "header.hpp"

#include <cerrno>
#include <charconv>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace imapd {

namespace {

constexpr std::string_view kMagic = "imapd-cache 2\n";
constexpr size_t kMaxRecordHead = 1024;
constexpr uint32_t kMaxString = 16 * 1024 * 1024;

bool parse_u64(std::string_view text, uint64_t& out)
{
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return !text.empty() && ec == std::errc() && ptr == text.data() + text.size();
}

// "BASE SIZE DATE ENVLEN BSLEN HDRLEN" into base and e (all but its offset); false when
// the line is damaged.
bool parse_record_head(std::string_view line, std::string_view& base, CacheEntry& e)
{
    std::string_view f[6];
    for (auto& part : f) {
        size_t sp = line.find(' ');
        part = line.substr(0, sp);
        line = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
    }
    uint64_t size = 0, date = 0, env = 0, bs = 0, hdr = 0;
    if (f[0].empty() || !parse_u64(f[1], size) || !parse_u64(f[2], date) || !parse_u64(f[3], env)
        || !parse_u64(f[4], bs) || !parse_u64(f[5], hdr) || env > kMaxString || bs > kMaxString
        || hdr > kMaxString)
        return false;
    base = f[0];
    e.size = size;
    e.date = static_cast<int64_t>(date);
    e.envelope_length = static_cast<uint32_t>(env);
    e.structure_length = static_cast<uint32_t>(bs);
    e.headers_length = static_cast<uint32_t>(hdr);
    return true;
}

} // namespace

bool is_cached_field(std::string_view name)
{
    for (char const* f : kCachedFields)
        if (mta::field_name_equals(name, f))
            return true;
    return false;
}

Cache::Cache(std::string dir)
    : m_path(std::move(dir) + "/imapd.cache")
{
    int fd = ::open(m_path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd == -1)
        return; // no cache: every answer is computed
    m_fd = mta::Fd(fd);
    load_tail();
}

void Cache::load_tail()
{
    if (!m_fd.valid() || m_damaged)
        return;
    struct stat st;
    if (::fstat(m_fd.get(), &st) == -1)
        return;
    auto const file_size = static_cast<uint64_t>(st.st_size);
    if (!start_index(file_size))
        return;
    // Read the new records in chunks, parsing their head lines.
    while (m_indexed < file_size && index_record(file_size)) { }
}

// Writes the magic line into an empty file, or checks it before the first record is
// indexed. False when there is nothing (more) to index.
bool Cache::start_index(uint64_t file_size)
{
    if (file_size == 0) {
        (void)mta::write_all(m_fd.get(), kMagic);
        m_indexed = kMagic.size();
        return false;
    }
    if (m_indexed == 0) {
        if (read_at(0, static_cast<uint32_t>(kMagic.size())) != kMagic) {
            m_damaged = true;
            return false;
        }
        m_indexed = kMagic.size();
    }
    return true;
}

// Indexes the record at m_indexed. False when it is not whole yet, or damaged (then the
// file is marked so).
bool Cache::index_record(uint64_t file_size)
{
    uint64_t const pos = m_indexed;
    std::string head
        = read_at(pos, static_cast<uint32_t>(std::min<uint64_t>(kMaxRecordHead, file_size - pos)));
    size_t nl = head.find('\n');
    if (nl == std::string::npos) {
        m_damaged = pos + kMaxRecordHead <= file_size;
        return false; // a torn record at the end
    }
    std::string_view base;
    CacheEntry e;
    if (!parse_record_head(std::string_view(head.data(), nl), base, e)) {
        m_damaged = true;
        return false;
    }
    e.offset = pos + nl + 1;
    uint64_t const end = e.offset + e.envelope_length + e.structure_length + e.headers_length + 1;
    if (end > file_size)
        return false; // torn (or still being written): looked at again later
    if (read_at(end - 1, 1) != "\n") {
        m_damaged = true;
        return false;
    }
    m_index.insert_or_assign(std::string(base), e);
    m_indexed = end;
    return true;
}

std::string Cache::read_at(uint64_t offset, uint32_t length)
{
    std::string out(length, '\0');
    size_t have = 0;
    while (have < length) {
        ssize_t n = ::pread(
            m_fd.get(), out.data() + have, length - have, static_cast<off_t>(offset + have));
        if (n <= 0) {
            if (n == -1 && errno == EINTR)
                continue;
            break;
        }
        have += static_cast<size_t>(n);
    }
    out.resize(have);
    return out;
}

CacheEntry const* Cache::find(std::string const& base)
{
    auto it = m_index.find(base);
    if (it == m_index.end()) {
        load_tail(); // another session may have added it
        it = m_index.find(base);
        if (it == m_index.end())
            return nullptr;
    }
    return &it->second;
}

std::string Cache::envelope(CacheEntry const& e)
{
    return read_at(e.offset, e.envelope_length);
}

std::string Cache::body_structure(CacheEntry const& e)
{
    return read_at(e.offset + e.envelope_length, e.structure_length);
}

std::string Cache::headers(CacheEntry const& e)
{
    return read_at(e.offset + e.envelope_length + e.structure_length, e.headers_length);
}

mta::Status Cache::add(std::string const& base, uint64_t size, int64_t date,
    std::string_view envelope, std::string_view structure, std::string_view headers)
{
    if (!m_fd.valid() || m_damaged || base.find_first_of(" \n") != std::string::npos
        || envelope.size() > kMaxString || structure.size() > kMaxString
        || headers.size() > kMaxString)
        return mta::Error::plain("cache not available");
    std::string record = base + ' ' + std::to_string(size) + ' '
        + std::to_string(date < 0 ? 0 : date) + ' ' + std::to_string(envelope.size()) + ' '
        + std::to_string(structure.size()) + ' ' + std::to_string(headers.size()) + '\n';
    record += envelope;
    record += structure;
    record += headers;
    record += '\n';
    if (auto st = mta::write_all(m_fd.get(), record); !st)
        return st;
    load_tail();
    return {};
}

void Cache::compact(std::unordered_map<std::string, bool> const& live_bases)
{
    if (!m_fd.valid())
        return;
    if (!m_damaged && m_index.size() <= 2 * live_bases.size() + 100)
        return;
    std::string text(kMagic);
    for (auto const& [base, e] : m_index) {
        if (!live_bases.count(base))
            continue;
        text += base + ' ' + std::to_string(e.size) + ' ' + std::to_string(e.date) + ' '
            + std::to_string(e.envelope_length) + ' ' + std::to_string(e.structure_length) + ' '
            + std::to_string(e.headers_length) + '\n';
        text += read_at(e.offset, e.envelope_length + e.structure_length + e.headers_length);
        text += '\n';
    }
    std::string const tmp = m_path + ".tmp" + std::to_string(::getpid());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd == -1)
        return;
    mta::Fd out(fd);
    if (!mta::write_all(fd, text) || !out.close() || ::rename(tmp.c_str(), m_path.c_str()) == -1) {
        ::unlink(tmp.c_str());
        return;
    }
    m_index.clear();
    m_indexed = 0;
    m_damaged = false;
    int again = ::open(m_path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
    m_fd = mta::Fd(again);
    load_tail();
}

} // namespace imapd
