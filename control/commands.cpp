#include "commands.hpp"

#include "exit_codes.hpp"

#include <cstdio>

namespace admin {

namespace {

constexpr Command kCommands[] = {
    { "init", "write the control files, aliases and TLS key of a new install",
        "usage: mailctl init [--hostname H] [--listen SERVICE=ADDR:PORT]...\n"
        "\n"
        "Configures the install that holds this mailctl. Writes control/me (H, or this\n"
        "host's fully qualified name), control/locals and control/rcpthosts (me and\n"
        "localhost), control/services (the services to run), the aliases\n"
        "alias/.qmail-postmaster, .qmail-root and .qmail-mailer-daemon delivering to\n"
        "alias/Maildir/, a self-signed control/tls/cert.pem and key.pem, and the\n"
        "supervised services service/send and, for each listener whose programs are\n"
        "installed, service/SERVICE (with control/tcp.smtp and its cdb); see mailctl start.\n"
        "\n"
        "SERVICE is smtp, submission, smtps, pop3, pop3s, imap or imaps; ADDR is *, an\n"
        "IPv4 address or [IPv6]. Without --listen every service listens on its standard\n"
        "port on all addresses; with one or more, only those listed.\n"
        "\n"
        "Files that exist are kept as they are: running init again never undoes what an\n"
        "operator changed by hand. It says which files it wrote and which it kept.\n"
        "Exit codes: 0 done, 100 usage error, 111 a file could not be written.\n",
        run_init },
    { "check", "verify control files, owners and modes, and the TLS key",
        "usage: mailctl check\n"
        "\n"
        "Verifies the install: every control file's syntax and range, the owners and\n"
        "modes of the tree (queue, alias, control), the aliases, that the TLS\n"
        "certificate is valid and matches its key, and that every cdb table holds what\n"
        "its source gives (else: run mailctl cdb). Prints one line per problem.\n"
        "Exit codes: 0 no problem, 100 problems found, 111 the check could not run.\n",
        run_check },
    { "queue", "list the queued messages, or count them (--stats)",
        "usage: mailctl queue [--stats]\n"
        "\n"
        "Lists the messages in the queue, oldest first, like qmail-qread: one line per\n"
        "message, then one line per recipient, indented by two spaces:\n"
        "\n"
        "  msg ID arrived YYYY-MM-DDTHH:MM:SSZ age SECONDS size BYTES from <SENDER>[ FLAGS]\n"
        "    local pending <ADDRESS>      (also: local done, remote pending, remote done)\n"
        "    pending <ADDRESS>            (a message not yet preprocessed)\n"
        "\n"
        "ID is the message number (queue/mess/ID%SPLIT/ID); arrived and age come from\n"
        "queue/info/ID, or from queue/mess/ID before preprocessing; size is the message's\n"
        "size in the queue. FLAGS are `next local TIME' and `next remote TIME' (when send\n"
        "next tries the pending recipients of that channel: the time send saved when it\n"
        "stopped, else an estimate from its retry schedule; `mailctl flush' makes it now),\n"
        "`bouncing' (a bounce is being collected) and `not yet preprocessed' (queue/todo/ID\n"
        "is there: its recipients are not yet sorted into local and remote). In addresses,\n"
        "bytes outside printable ASCII, spaces and backslashes are written \\xHH, so every\n"
        "address is one word, the last of its line.\n"
        "\n"
        "--stats prints counts instead, like qmail-qstat, one `name: number' per line:\n"
        "messages in queue, messages not yet preprocessed, local recipients pending,\n"
        "remote recipients pending, recipients not yet preprocessed.\n"
        "\n"
        "The queue is readable by root only. Exit codes: 0 done, 100 usage error, 111 the\n"
        "queue could not be read (not root; or a message could not be read: a warning\n"
        "names it and the others are still listed).\n",
        run_queue },
    { "flush", "ask send to try every queued message now",
        "usage: mailctl flush\n"
        "\n"
        "Sends SIGALRM to the running send (the scheduler), which then tries every queued\n"
        "message at once instead of waiting for its next retry time. send is found through\n"
        "queue/lock/sendmutex: it holds a lock on that file while it runs and keeps its pid\n"
        "in it. Needs root.\n"
        "Exit codes: 0 send was asked, 100 usage error, 111 send is not running or could\n"
        "not be signalled.\n",
        run_flush },
    { "start", "start svscan and every service of the install (send, smtp, ...)",
        "usage: mailctl start\n"
        "\n"
        "Runs ROOT/bin/svscan ROOT/service in the background (its own session, output\n"
        "appended to ROOT/log/svscan.log), which starts a supervise for every service\n"
        "directory mailctl init wrote (service/send: the delivery processes; service/smtp,\n"
        "submission, smtps: tcpserver and smtpd) and one for its logger (multilog into\n"
        "ROOT/log/NAME/). Then waits up to 10 seconds until every service is up for a\n"
        "second and prints one line per service. When svscan runs already it only reports.\n"
        "Needs root. Exit codes: 0 everything is up, 100 usage error, 111 svscan could not\n"
        "be started or a service is not up (its line says so; svscan keeps trying).\n",
        run_start },
    { "stop", "stop every service, let deliveries in flight finish, end svscan",
        "usage: mailctl stop [--timeout SECONDS]\n"
        "\n"
        "Tells every service to go down (svc -d: send stops starting deliveries and waits\n"
        "for those in flight, then saves its retry times), waits until all are down (at\n"
        "most SECONDS, default 300), then ends svscan, which stops the loggers once they\n"
        "have written everything. Finally checks that no process of the install is left.\n"
        "Needs root. Exit codes: 0 stopped (or was not running), 100 usage error, 111 a\n"
        "service did not stop in time or processes are left (named on stderr).\n",
        run_stop },
    { "restart", "restart one service (mailctl restart smtp) or everything",
        "usage: mailctl restart [SERVICE] [--timeout SECONDS]\n"
        "\n"
        "With SERVICE (a directory in ROOT/service), brings it down as mailctl stop does\n"
        "(svc -d, waiting at most SECONDS, default 300) and up again (svc -u). Without,\n"
        "runs mailctl stop and then mailctl start. Needs root.\n"
        "Exit codes: 0 up again, 100 usage error or no such service, 111 it did not stop\n"
        "or did not come up.\n",
        run_restart },
    { "status", "show svscan, each service (pid, uptime, restarts) and the queue",
        "usage: mailctl status\n"
        "\n"
        "Prints whether svscan runs, then one line per service in svstat's words with the\n"
        "number of restarts supervise made (run started again after it ended by itself),\n"
        "and its logger's line:\n"
        "\n"
        "  send: up (pid 812) 3600 seconds, restarts 0; log: up (pid 813) 3600 seconds, ...\n"
        "\n"
        "and last the queue counts (root only, as mailctl queue --stats).\n"
        "Exit codes: 0 svscan runs and every service meant to be up is, 100 usage error,\n"
        "111 otherwise.\n",
        run_status },
    { "domain", "add, delete and list virtual domains; set a domain's catch-all",
        "usage: mailctl domain add DOMAIN\n"
        "       mailctl domain del DOMAIN [--force]\n"
        "       mailctl domain list\n"
        "       mailctl domain catchall DOMAIN bounce|discard|deliver USER\n"
        "\n"
        "add makes DOMAIN a virtual domain: it goes into control/rcpthosts,\n"
        "control/virtualdomains and users/assign (users/cdb is rebuilt), gets the directory\n"
        "domains/DOMAIN/ and the user postmaster@DOMAIN (without a password). Mail to\n"
        "DOMAIN is delivered by vdeliver, run from domains/DOMAIN/.qmail-default.\n"
        "del removes all of that, mailboxes included; when they hold mail it asks for\n"
        "--force. list prints one line per domain: its name, users and catch-all.\n"
        "catchall says what happens to mail for unknown names of DOMAIN: bounce (the\n"
        "default), discard, or deliver to the mailbox of USER@DOMAIN.\n"
        "A running send is told to reread control/virtualdomains. See docs/accounts.md.\n"
        "Exit codes: 0 done, 100 usage error or refused, 111 a file could not be written.\n",
        run_domain },
    { "user", "add, delete, list virtual users; set passwords; show a mailbox",
        "usage: mailctl user add USER@DOMAIN [--password-stdin]\n"
        "       mailctl user del USER@DOMAIN [--force]\n"
        "       mailctl user passwd USER@DOMAIN [--password-stdin]\n"
        "       mailctl user list [DOMAIN]\n"
        "       mailctl user info USER@DOMAIN\n"
        "\n"
        "add creates domains/DOMAIN/USER/Maildir/ and the password of USER@DOMAIN in\n"
        "users/passwd (a yescrypt hash, readable by root and msp only). The password is\n"
        "asked twice on the terminal, or read as one line from standard input with\n"
        "--password-stdin; it is never taken from the command line. A user's own .qmail\n"
        "files go into domains/DOMAIN/USER/: after adding or removing .qmail-EXT there by\n"
        "hand, run mailctl cdb, or smtpd refuses USER-EXT@DOMAIN. del removes the user and\n"
        "the mailbox (with --force when it holds mail). info prints the mailbox path,\n"
        "message count and size.\n"
        "Exit codes: 0 done, 100 usage error or refused, 111 a file could not be written.\n",
        run_user },
    { "alias", "add, delete and list aliases of virtual domains",
        "usage: mailctl alias add NAME@DOMAIN TARGET...\n"
        "       mailctl alias del NAME@DOMAIN\n"
        "       mailctl alias list [DOMAIN]\n"
        "\n"
        "add makes NAME@DOMAIN forward to every TARGET address (replacing the targets an\n"
        "existing alias had), as domains/DOMAIN/.qmail-NAME with one &TARGET line each.\n"
        "Exit codes: 0 done, 100 usage error or refused, 111 a file could not be written.\n",
        run_alias },
    { "cdb", "rebuild every cdb table from its source (users, morercpthosts, tcp rules)",
        "usage: mailctl cdb\n"
        "\n"
        "Rebuilds each table whose source exists, atomically (TABLE.tmp, fsync, rename):\n"
        "  users/cdb                  from users/assign, as newu\n"
        "  users/recipients.cdb       from the virtual domains, users, aliases and the\n"
        "                             users' .qmail-EXT files, as mailctl domain|user|alias\n"
        "  control/morercpthosts.cdb  from control/morercpthosts (one domain or .domain a\n"
        "                             line; keys lowercased), as qmail-newmrh\n"
        "  control/tcp.NAME.cdb       from each control/tcp.NAME, as tcprules\n"
        "and prints one line per table: `rebuilt users/recipients.cdb (12 keys)'. A table\n"
        "whose source is missing is kept as it is (a line says so). A running send is told\n"
        "to reread its controls when a users/ table was rebuilt. Run it after editing one\n"
        "of these sources by hand; mailctl check reports a table out of date.\n"
        "Exit codes: 0 done, 100 usage error or a syntax error in a source (stderr names\n"
        "the file and line; that table is left as it was, the others are rebuilt), 111 a\n"
        "source could not be read or a table not written.\n",
        run_cdb },
};

} // namespace

Command const* find_command(std::string_view name)
{
    for (auto const& c : kCommands)
        if (name == c.name)
            return &c;
    return nullptr;
}

const char* main_help()
{
    static std::string const text = [] {
        std::string out = "usage: mailctl COMMAND [ARGS]\n\ncommands:\n";
        for (auto const& c : kCommands) {
            std::string name = c.name;
            name.resize(8, ' ');
            out += "  " + name + c.summary + "\n";
        }
        out += "\nmailctl help COMMAND (or mailctl COMMAND --help) describes one command.\n";
        return out;
    }();
    return text.c_str();
}

int print_help(std::string_view name)
{
    Command const* c = find_command(name);
    if (!c) {
        std::fprintf(
            stderr, "mailctl: fatal: unknown command %.*s\n", int(name.size()), name.data());
        return mta::kExitPerm;
    }
    std::fputs(c->help, stdout);
    return mta::kExitOk;
}

bool wants_help(Args const& args)
{
    for (auto const& a : args)
        if (a == "--help" || a == "-h")
            return true;
    return false;
}

} // namespace admin
