// mailctl cdb: rebuilds every cdb table of the install from its source (cdb_tables.hpp).
#include "cdb_tables.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "virtual_store.hpp"

#include <cstdio>
#include <sys/stat.h>

namespace admin {

int run_cdb(std::string const& root, Args const& args)
{
    if (wants_help(args))
        return print_help("cdb");
    if (!args.empty()) {
        std::fputs("mailctl: fatal: usage: mailctl cdb\n", stderr);
        return mta::kExitPerm;
    }
    ::umask(022); // smtpd, tcpserver and lspawn read the tables as other accounts
    VirtualStore store(root);
    if (auto st = store.lock(); !st) {
        std::fprintf(stderr, "mailctl: fatal: %s\n", st.problem().c_str());
        return mta::kExitTemp;
    }
    bool syntax = false;
    bool failed = false;
    bool users = false;
    size_t lines = 0;
    using State = TableOutcome::State;
    for (auto const& t : rebuild_tables(root, store)) {
        lines += t.state == State::none ? 0 : 1;
        switch (t.state) {
        case State::none:
            break;
        case State::rebuilt:
            users = users || t.table.starts_with("users/");
            std::printf(
                "rebuilt %s (%zu key%s)\n", t.table.c_str(), t.keys, t.keys == 1 ? "" : "s");
            break;
        case State::kept:
            std::printf("kept %s: %s\n", t.table.c_str(), t.text.c_str());
            break;
        case State::bad_source:
            syntax = true;
            std::fprintf(
                stderr, "mailctl: %s; %s left as it was\n", t.text.c_str(), t.table.c_str());
            break;
        case State::failed:
            failed = true;
            std::fprintf(
                stderr, "mailctl: %s; %s left as it was\n", t.text.c_str(), t.table.c_str());
            break;
        }
    }
    if (users)
        store.notify_send();
    if (lines == 0)
        std::printf("no table to rebuild\n");
    if (std::fflush(stdout) != 0)
        return mta::kExitTemp;
    return syntax ? mta::kExitPerm : failed ? mta::kExitTemp : mta::kExitOk;
}

} // namespace admin
