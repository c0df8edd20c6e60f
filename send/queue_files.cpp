#include "queue_files.hpp"

#include "auto_conf.hpp"
#include "buffer.hpp"
#include "fd.hpp"
#include "queue_paths.hpp"

#include <sys/stat.h>

namespace send {

namespace {

// An F record is at most an address (1,002 bytes) and its letter.
constexpr size_t kMaxInfoRecord = 4096;

} // namespace

std::string_view channel_name(Channel c)
{
    return c == Channel::local ? mta::kLocalDir : mta::kRemoteDir;
}

std::string channel_path(Channel c, unsigned long id)
{
    return mta::hashed_path(channel_name(c), id);
}

std::string number(unsigned long n)
{
    return std::to_string(n);
}

std::string message_ref(unsigned long id)
{
    return number(id % static_cast<unsigned long>(mta::conf::kSplit)) + "/" + number(id);
}

mta::Result<Info> read_info(unsigned long id)
{
    auto fd = mta::open_read(mta::hashed_path(mta::kInfoDir, id));
    if (!fd)
        return mta::Error { fd.error().errnum, "unable to open info/N" };
    struct stat st;
    if (::fstat(fd->get(), &st) == -1)
        return mta::Error::from_errno("unable to stat info/N");
    mta::Reader in(fd->get());
    std::string record;
    auto got = in.get_line(record, kMaxInfoRecord, '\0');
    if (!got)
        return mta::Error { got.error().errnum, "unable to read info/N" };
    if (*got != mta::LineStatus::line || record.empty() || record[0] != 'F')
        return mta::Error::plain("no sender record in info/N");
    return Info { record.substr(1), st.st_mtime };
}

} // namespace send
