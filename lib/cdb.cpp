#include "cdb.hpp"

#include <cdb.h>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <unistd.h>

namespace mta {

namespace {

Error corrupt()
{
    return Error::plain("corrupt cdb file");
}

// tinycdb reports a malformed file with EPROTO; anything else is a system error.
Error lookup_error()
{
    if (errno == EPROTO)
        return corrupt();
    return Error::from_errno("unable to read cdb");
}

// A view of len bytes at pos of the mapped file; cdb_get checks the bounds, so a
// corrupt length or position becomes an error instead of a read outside the map.
Result<std::string_view> slice(::cdb* db, unsigned pos, unsigned len)
{
    auto const* p = static_cast<char const*>(cdb_get(db, len, pos));
    if (p == nullptr)
        return corrupt();
    return std::string_view(p, len);
}

Result<std::string_view> found_value(::cdb* db)
{
    return slice(db, cdb_datapos(db), cdb_datalen(db));
}

bool fits(std::string_view s)
{
    return s.size() <= UINT_MAX;
}

// tinycdb checks each pointer when it follows it, but a table cut short (a copy that
// ran out of space) can still answer "absent" for keys it holds. Every hash table of
// a whole file lies inside it, so checking the 256 header slots catches truncation.
bool header_in_bounds(::cdb* db)
{
    unsigned const size = db->cdb_fsize;
    auto const* header = static_cast<unsigned char const*>(cdb_get(db, 2048, 0));
    if (header == nullptr)
        return false;
    for (unsigned slot = 0; slot < 256; ++slot) {
        unsigned pos = cdb_unpack(header + size_t { slot } * 8);
        unsigned entries = cdb_unpack(header + size_t { slot } * 8 + 4);
        if (entries != 0 && (pos < 2048 || pos > size || entries > (size - pos) / 8))
            return false;
    }
    return true;
}

} // namespace

void Cdb::Free::operator()(::cdb* db) const
{
    cdb_free(db);
    delete db;
}

Cdb::Cdb(Fd fd, std::unique_ptr<::cdb, Free> db)
    : m_fd(std::move(fd))
    , m_db(std::move(db))
{
}

Result<Cdb> Cdb::open(std::string const& path)
{
    auto fd = open_read(path);
    if (!fd)
        return fd.error();
    std::unique_ptr<::cdb, Free> db(new ::cdb {});
    if (cdb_init(db.get(), fd->get()) != 0) {
        if (errno == EPROTO)
            return corrupt();
        return Error::from_errno("unable to map cdb");
    }
    if (!header_in_bounds(db.get()))
        return corrupt();
    return Cdb(std::move(*fd), std::move(db));
}

Result<std::optional<std::string>> Cdb::find(std::string_view key)
{
    using Value = std::optional<std::string>;
    if (!fits(key))
        return Value();
    int r = cdb_find(m_db.get(), key.data(), static_cast<unsigned>(key.size()));
    if (r < 0)
        return lookup_error();
    if (r == 0)
        return Value();
    auto value = found_value(m_db.get());
    if (!value)
        return value.error();
    return Value(std::string(*value));
}

Result<bool> Cdb::contains(std::string_view key)
{
    if (!fits(key))
        return false;
    int r = cdb_find(m_db.get(), key.data(), static_cast<unsigned>(key.size()));
    if (r < 0)
        return lookup_error();
    return r > 0;
}

Result<std::vector<std::string>> Cdb::find_all(std::string_view key)
{
    std::vector<std::string> values;
    if (!fits(key))
        return values;
    struct cdb_find finder { };
    if (cdb_findinit(&finder, m_db.get(), key.data(), static_cast<unsigned>(key.size())) < 0)
        return lookup_error();
    for (;;) {
        int r = cdb_findnext(&finder);
        if (r < 0)
            return lookup_error();
        if (r == 0)
            return values;
        auto value = found_value(m_db.get());
        if (!value)
            return value.error();
        values.emplace_back(*value);
    }
}

Status Cdb::for_each(Visitor const& visit)
{
    ::cdb* db = m_db.get();
    unsigned pos = 0;
    cdb_seqinit(&pos, db);
    for (;;) {
        unsigned const before = pos;
        int r = cdb_seqnext(&pos, db);
        if (r == 0)
            return {};
        // A record must move the cursor forward, or a crafted length could loop.
        if (r < 0 || pos <= before)
            return corrupt();
        auto key = slice(db, cdb_keypos(db), cdb_keylen(db));
        auto value = slice(db, cdb_datapos(db), cdb_datalen(db));
        if (!key || !value)
            return corrupt();
        if (auto st = visit(*key, *value); !st)
            return st;
    }
}

CdbWriter::CdbWriter(std::string path, Fd fd, std::unique_ptr<::cdb_make> make)
    : m_path(std::move(path))
    , m_tmp(m_path + ".tmp")
    , m_fd(std::move(fd))
    , m_make(std::move(make))
{
}

CdbWriter::CdbWriter(CdbWriter&& other) noexcept = default;

CdbWriter& CdbWriter::operator=(CdbWriter&& other) noexcept
{
    if (this != &other) {
        rollback();
        m_path = std::move(other.m_path);
        m_tmp = std::move(other.m_tmp);
        m_fd = std::move(other.m_fd);
        m_make = std::move(other.m_make);
    }
    return *this;
}

CdbWriter::~CdbWriter()
{
    rollback();
}

Result<CdbWriter> CdbWriter::create(std::string const& path, mode_t mode)
{
    auto fd = open_trunc(path + ".tmp", mode);
    if (!fd)
        return fd.error();
    auto make = std::make_unique<::cdb_make>();
    cdb_make_start(make.get(), fd->get());
    return CdbWriter(path, std::move(*fd), std::move(make));
}

void CdbWriter::rollback()
{
    if (!m_make)
        return;
    int saved = errno;
    // cdb_make_finish is the only way to free tinycdb's record lists. With no
    // descriptor its first write fails, so it frees them without writing anything.
    m_make->cdb_fd = -1;
    cdb_make_finish(m_make.get());
    m_make.reset();
    m_fd = Fd();
    ::unlink(m_tmp.c_str());
    errno = saved;
}

Status CdbWriter::add(std::string_view key, std::string_view value)
{
    if (!m_make)
        return Error::plain("cdb writer already finished");
    Status st;
    if (!fits(key))
        st = Error::plain("key too long");
    else if (!fits(value))
        st = Error::plain("value too long");
    else if (cdb_make_add(m_make.get(), key.data(), static_cast<unsigned>(key.size()), value.data(),
                 static_cast<unsigned>(value.size()))
        != 0)
        st = Error::from_errno("unable to add to cdb");
    if (!st)
        rollback();
    return st;
}

Status CdbWriter::commit()
{
    if (!m_make)
        return Error::plain("cdb writer already finished");
    Status st;
    if (cdb_make_finish(m_make.get()) != 0)
        st = Error::from_errno("unable to write cdb");
    m_make.reset(); // finished: the record lists are freed whatever the result
    if (st)
        st = fsync_fd(m_fd.get());
    if (st)
        st = m_fd.close();
    if (st && ::rename(m_tmp.c_str(), m_path.c_str()) == -1)
        st = Error::from_errno("unable to rename");
    if (!st) {
        m_fd = Fd();
        ::unlink(m_tmp.c_str());
        return st;
    }
    return fsync_dir(dirname_of(m_path));
}

} // namespace mta
