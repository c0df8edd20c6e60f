// instdir - creates or repairs the installed tree from the layout table.
// Used by `make install`; not installed itself.
//
//     instdir ROOT SOURCE_BIN_DIR [PROGRAM ...]
//
// Exit codes: 0 done, 100 usage, 111 a step failed (one line on stderr names it).
#include "exit_codes.hpp"
#include "layout.hpp"
#include "log.hpp"

#include <string>
#include <sys/stat.h>
#include <vector>

namespace {

int install(int argc, char** argv)
{
    if (argc < 3)
        mta::log::fatal(mta::kExitPerm, "usage: instdir ROOT SOURCE_BIN_DIR [PROGRAM ...]");
    std::string const root = argv[1];
    std::string const source = argv[2];
    std::vector<std::string> programs(argv + 3, argv + argc);
    ::umask(022);

    admin::Ids ids;
    auto entries = admin::tree_layout();
    for (auto& entry : admin::program_layout(programs))
        entries.push_back(entry);
    for (auto const& entry : entries) {
        if (auto st = admin::apply_entry(root, entry, ids, source); !st)
            mta::log::fatal(
                mta::kExitTemp, "unable to install " + root + "/" + entry.path, st.error());
    }
    return mta::kExitOk;
}

} // namespace

int main(int argc, char** argv)
{
    return mta::run_main("instdir", [&] { return install(argc, argv); });
}
