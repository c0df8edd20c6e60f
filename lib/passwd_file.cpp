#include "passwd_file.hpp"

#include <cerrno>
#include <cstdio>
#include <pwd.h>

namespace mta {

namespace {

constexpr size_t kBufferStart = 4096;
constexpr size_t kBufferMax = 1 << 20;

// Closes the file on every path.
struct FileCloser {
    std::FILE* file;
    ~FileCloser() { std::fclose(file); }
};

} // namespace

Result<std::vector<std::optional<Account>>> find_file_accounts(
    std::vector<std::string> const& names, std::string const& path)
{
    std::vector<std::optional<Account>> found(names.size());
    std::FILE* file = std::fopen(path.c_str(), "re");
    if (!file)
        return Error::from_errno("unable to open passwd file");
    FileCloser const closer { file };
    std::vector<char> buffer(kBufferStart);
    size_t missing = names.size();
    while (missing > 0) {
        passwd entry {};
        passwd* got = nullptr;
        int const err = ::fgetpwent_r(file, &entry, buffer.data(), buffer.size(), &got);
        if (err == ERANGE && buffer.size() < kBufferMax) {
            // glibc puts the stream back at the start of the entry: read it again.
            buffer.resize(buffer.size() * 2);
            continue;
        }
        if (err == ENOENT || (err == 0 && !got))
            break; // end of file
        if (err != 0)
            return Error { err, "unable to read passwd file" };
        for (size_t i = 0; i < names.size(); ++i) {
            if (found[i] || names[i] != entry.pw_name)
                continue;
            found[i] = Account { entry.pw_name, entry.pw_uid, entry.pw_gid,
                entry.pw_dir ? entry.pw_dir : "", entry.pw_shell ? entry.pw_shell : "" };
            --missing;
        }
    }
    return found;
}

Result<std::optional<Account>> find_file_account(std::string const& name, std::string const& path)
{
    auto found = find_file_accounts({ name }, path);
    if (!found)
        return found.error();
    return std::move(found->front());
}

} // namespace mta
