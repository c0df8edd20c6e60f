#include "install_root.hpp"

#include "fd.hpp"

#include <climits>
#include <unistd.h>

namespace mta {

std::string root_of_program(std::string const& exe_path)
{
    return dirname_of(dirname_of(exe_path));
}

Result<std::string> install_root()
{
    char buf[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n == -1)
        return Error::from_errno("unable to read /proc/self/exe");
    if (static_cast<size_t>(n) >= sizeof buf - 1)
        return Error { ENAMETOOLONG, "unable to read /proc/self/exe" };
    return root_of_program(std::string(buf, static_cast<size_t>(n)));
}

} // namespace mta
