// server - tcpserver's parent: the privilege drop after binding, the accept loop with its
// two limits, and the accounting of children.
//
//     auto ids = tcpserver::resolve_ids(options);      // -u/-g/-U: numbers or names
//     if (auto st = tcpserver::drop_to(*ids); !st) die(st.error());
//     return tcpserver::serve(options, std::move(listener->fd));   // until SIGTERM
//
// serve() accepts while fewer than -c children run (at the limit it stops accepting, as
// ucspi-tcp does, so further clients wait in the listen queue); a client whose IP already
// has -C children is closed at once, without a child. Each accepted connection gets a
// forked child (connection.hpp), or, with -H -R -l NAME and no -B, a program started with
// posix_spawn after this process did the child's work (server.cpp: start_directly). SIGCHLD reaps
// children ("end" lines); SIGTERM makes serve() return 0 at once, leaving running children alone.
// Signal handlers only set flags; the loop waits in ppoll() with the signals unblocked. -v lines as
// log_lines.hpp.
#pragma once

#include "error.hpp"
#include "fd.hpp"
#include "options.hpp"

#include <map>
#include <optional>
#include <string>
#include <sys/types.h>

namespace tcpserver {

// Which children run, and how many per client IP.
class ChildTable {
public:
    void add(pid_t pid, std::string const& ip);
    void remove(pid_t pid); // unknown pids are ignored
    unsigned long count(std::string const& ip) const;
    unsigned long size() const { return static_cast<unsigned long>(m_ip_of.size()); }

private:
    std::map<pid_t, std::string> m_ip_of;
    std::map<std::string, unsigned long> m_per_ip;
};

struct Ids {
    std::optional<uid_t> uid;
    std::optional<gid_t> gid;
};

// -u/-g as numbers or names (account, group); 0 means "keep", as ucspi-tcp.
mta::Result<Ids> resolve_ids(Options const& options);
// setgroups+setgid for a gid, setuid for a uid (both: lib's verified drop_privileges).
mta::Status drop_to(Ids const& ids);

int serve(Options const& options, mta::Fd listener);

} // namespace tcpserver
