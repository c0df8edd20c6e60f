// spawn_driver - the spawner side of the send <-> spawner pipe protocol (qmail's spawn.c),
// shared by lspawn and rspawn: each program supplies only a SpawnHook that starts one
// delivery and turns its exit status and output into a result.
//
//     class LocalHook : public mta::SpawnHook { ... };        // start(), report()
//     LocalHook hook(config);
//     mta::SpawnerOptions options;                          // 120 slots, 3000-byte reports
//     options.queue_uid = msq_uid;                          // after chdir(ROOT/queue/mess)
//     options.name = "lspawn";
//     if (auto st = mta::serve_spawner(hook, options); !st)
//         mta::log::fatal(mta::kExitTemp, "lost connection to send", st.error());
//
// The protocol (docs/INTERNALS.md, "Delivery processes"):
//   - at startup the spawner writes one byte to out_fd: the number of slots (120);
//   - send writes commands to in_fd: the slot byte, the message id relative to queue/mess
//     ("12/1234") NUL, the envelope sender NUL, the recipient NUL;
//   - for each command the spawner writes one result to out_fd, in any order: the slot
//     byte, a letter (K delivered, Z temporary failure, D permanent failure), a text that
//     may hold LFs but no NUL, and NUL;
//   - a group command (slot byte, '+' id NUL, sender NUL, recipients each NUL, NUL; only
//     rspawn takes it) gets one result per recipient, in the command's order, written
//     together when its one delivery has ended; the slot is free after the last.
// Every command is checked as spawn.c checks it: slot in range and free, message id of
// digits and '/' (not first), 1..99 bytes, a recipient with '@', a message file that opens
// without blocking, is a regular file and is owned by the queue account. Then the hook
// starts the delivery with the message on a descriptor and an output pipe; deliveries run
// in parallel. A group runs as one delivery of the recipients that pass the checks (those
// that do not get their refusal at their place among the results); a hook that does not
// take groups makes every recipient's result "Z<name> does not take recipient groups.".
// A result is written when the child has exited and its output has reached
// end of file (or stayed open output_grace after the exit: a background grandchild must
// not hold the slot forever). serve_spawner returns when in_fd ends and every delivery has
// reported.
//
// Bounds: the output kept per delivery is report_limit bytes, times the number of
// recipients for a group (longer output is cut by cut_report); each command field is at most
// kSpawnMaxField bytes (longer: a D result). The driver never blocks on a child: it polls the
// output pipes (non-blocking) and a pidfd per child. The command bytes and checks are in
// lib/spawn_protocol.hpp, the slots and their output in lib/spawn_slot.hpp, and what the
// spawner programs set up around the driver (root, queue account, the deliveries'
// environment) in lib/spawner_site.hpp.
//
// Errors: serve_spawner fails only when the startup byte cannot be written or poll
// fails. A failed result write stops further writes (send is gone), as in spawn.c, and
// the deliveries still run to their end. Every per-command problem is a result record.
// serve_spawner sets SIGCHLD to its default action: an inherited SIG_IGN would let the
// kernel reap the children before their status is read.
#pragma once

#include "error.hpp"
#include "process.hpp"
#include "spawn_protocol.hpp"
#include "spawner_site.hpp"

#include <chrono>
#include <fcntl.h>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <variant>
#include <vector>

namespace mta {

// The program-specific half of a spawner.
class SpawnHook {
public:
    virtual ~SpawnHook() = default;

    // A running delivery, or the result (letter and text, e.g. "ZNot allowed to ...\n")
    // of a command that ended without running anything.
    using Started = std::variant<Child, std::string>;

    // Starts the delivery of the message open on message_fd (a regular file at offset 0)
    // from sender to recipient (which holds '@'); the child's fd 1 and 2 must be
    // output_fd. Both descriptors are closed by the driver afterwards.
    virtual Started start(
        int message_fd, std::string const& sender, std::string const& recipient, int output_fd)
        = 0;

    // The result (letter and text, no NUL needed) of a delivery that ended with status
    // after writing output (already cut to the report limit).
    virtual std::string report(ExitStatus status, std::string_view output) = 0;

    // Group commands: only a hook that says it takes them gets start_group() and
    // report_group(); the single-recipient start() and report() are used for the rest.
    virtual bool takes_groups() const { return false; }
    // One delivery of the message to every recipient (1..kSpawnMaxGroup, each with '@'),
    // as start(); a string is every recipient's result.
    virtual Started start_group(int message_fd, std::string const& sender,
        std::vector<std::string> const& recipients, int output_fd);
    // One result per recipient of the group, in order (missing ones become Z).
    virtual std::vector<std::string> report_group(
        ExitStatus status, std::string_view output, size_t recipients);
};

struct SpawnerOptions {
    unsigned slots = kSpawnSlots; // 1..255
    size_t report_limit = kSpawnReportLimit; // at least 100
    int message_dir = AT_FDCWD; // message ids are relative to it (queue/mess)
    uid_t queue_uid = 0; // every message file must be owned by it
    std::string name = "spawner"; // in the driver's own result texts
    std::chrono::milliseconds output_grace { 10000 };
};

Status serve_spawner(SpawnHook& hook, SpawnerOptions const& options, int in_fd = 0, int out_fd = 1);

} // namespace mta
