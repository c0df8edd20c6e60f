#include "maildir.hpp"

#include "../lib/maildir.hpp" // mta::MaildirFile (this folder has its own maildir.hpp)

#include <cerrno>
#include <sys/stat.h>
#include <unistd.h>

namespace local {

Fail deliver_maildir(std::string const& dir, std::string_view head, int message_fd)
{
    if (::lseek(message_fd, 0, SEEK_SET) == -1)
        return temp_rewind(mta::Error::from_errno("unable to rewind"));
    struct stat st;
    if (::stat(dir.c_str(), &st) == -1 || !S_ISDIR(st.st_mode))
        return temp_maildir_chdir();
    auto file = mta::MaildirFile::create(dir);
    if (!file)
        return temp_maildir(dir, file.error());
    if (auto st_write = file->write(head); !st_write)
        return temp_maildir(dir, st_write.error());
    if (auto st_copy = file->write_from(message_fd); !st_copy) {
        if (std::string_view(st_copy.error().what) == "unable to read")
            return temp_read(st_copy.error());
        return temp_maildir(dir, st_copy.error());
    }
    if (auto name = file->commit(); !name)
        return temp_maildir(dir, name.error());
    return std::nullopt;
}

} // namespace local
