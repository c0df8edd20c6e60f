#include "service_dirs.hpp"

#include "auto_conf.hpp"
#include "exit_codes.hpp"
#include "fd.hpp"
#include "log.hpp"
#include "privs.hpp"
#include "tcp_rules.hpp"

#include <cstdio>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace admin {

namespace {

// softlimit -m for each connection's tcpserver and server: data, stack and address space.
// A sanitizer build reserves terabytes of address space and cannot run under a limit.
#if defined(__SANITIZE_ADDRESS__)
constexpr long kMemoryLimit = 0;
#else
constexpr long kMemoryLimit = 64000000;
#endif
constexpr int kConcurrency = 40; // -c, unless control/concurrencyincoming says otherwise
constexpr int kPerIp = 10; // -C: connections from one address at a time

struct ListenerProgram {
    const char* service;
    const char* program; // in ROOT/bin
    const char* env; // NAME=VALUE set for the program, or ""
    // pop3d and imapd start as root and split themselves into unprivileged processes
    // (docs/pop3.md): tcpserver runs them without -u/-g and without the SMTP rules.
    bool drops_privileges = false;
};

constexpr ListenerProgram kPrograms[] = {
    { "smtp", "smtpd", "" },
    { "submission", "smtpd", "SUBMISSION=1" },
    { "smtps", "smtpd", "SMTPS=1" },
    { "pop3", "pop3d", "", true },
    { "pop3s", "pop3d", "POP3S=1", true },
    { "imap", "imapd", "", true },
    { "imaps", "imapd", "IMAPS=1", true },
};

ListenerProgram const* program_for(std::string const& service)
{
    for (auto const& p : kPrograms)
        if (service == p.service)
            return &p;
    return nullptr;
}

constexpr const char* kDefaultRules
    = "# tcpserver rules for the SMTP services (tcprules format; mailctl init\n"
      "# compiles them into tcp.smtp.cdb when that is missing; after editing, run\n"
      "# mailctl cdb).\n"
      "# Clients on this host may relay; everyone else may deliver to our domains.\n"
      "127.0.0.1:allow,RELAYCLIENT=\"\"\n"
      "::1:allow,RELAYCLIENT=\"\"\n"
      ":allow\n";

bool exists(std::string const& path)
{
    return ::access(path.c_str(), F_OK) == 0;
}

[[noreturn]] void die_write(std::string const& path, mta::Error error)
{
    mta::log::fatal(mta::kExitTemp, "unable to write " + path, error);
}

void write_or_die(std::string const& path, std::string const& text, mode_t mode)
{
    if (auto st = mta::write_file_atomic(path, text, mode); !st)
        die_write(path, st.error());
}

void mkdir_or_die(std::string const& path, mode_t mode)
{
    if (::mkdir(path.c_str(), mode) == -1 && errno != EEXIST)
        die_write(path, mta::Error::from_errno("mkdir"));
    if (::chmod(path.c_str(), mode) == -1)
        die_write(path, mta::Error::from_errno("chmod"));
}

// ROOT/log/NAME, owned by the log account (make install makes it; an older tree may not
// have it).
void make_log_dir(std::string const& root, std::string const& name)
{
    std::string const path = root + "/log/" + name;
    if (exists(path))
        return;
    mkdir_or_die(path, 0750);
    if (::geteuid() != 0)
        return;
    auto account = mta::lookup_account(mta::conf::kUserLog);
    if (!account)
        mta::log::fatal(mta::kExitTemp,
            std::string("no account ") + mta::conf::kUserLog + " (run make install as root)",
            account.error());
    if (::chown(path.c_str(), account->uid, account->gid) == -1)
        die_write(path, mta::Error::from_errno("chown"));
}

// service/NAME with run and log/run, built under a dot name svscan skips, then renamed.
void write_service(std::string const& root, std::string const& name, std::string const& run)
{
    std::string const dir = root + "/service/" + name;
    if (exists(dir)) {
        std::printf("kept service/%s (exists)\n", name.c_str());
        return;
    }
    make_log_dir(root, name);
    std::string const tmp = root + "/service/." + name + ".tmp";
    std::error_code ignored;
    std::filesystem::remove_all(tmp, ignored);
    mkdir_or_die(tmp, 0755);
    write_or_die(tmp + "/run", run, 0755);
    mkdir_or_die(tmp + "/log", 0755);
    write_or_die(tmp + "/log/run", log_run_script(root, name), 0755);
    if (::rename(tmp.c_str(), dir.c_str()) == -1)
        die_write(dir, mta::Error::from_errno("rename"));
    if (auto st = mta::fsync_dir(root + "/service"); !st)
        die_write(dir, st.error());
    std::printf("wrote service/%s\n", name.c_str());
}

void write_rules(std::string const& root)
{
    std::string const text_path = root + "/control/tcp.smtp";
    std::string const cdb_path = text_path + ".cdb";
    if (!exists(text_path)) {
        write_or_die(text_path, kDefaultRules, 0644);
        std::printf("wrote control/tcp.smtp\n");
    }
    if (exists(cdb_path))
        return;
    auto text = mta::read_file(text_path, 4UL * 1024 * 1024);
    if (!text)
        mta::log::fatal(mta::kExitTemp, "unable to read " + text_path, text.error());
    auto parsed = mta::tcp_rules::parse(*text);
    if (!parsed.ok())
        mta::log::fatal(mta::kExitTemp,
            text_path + " line " + std::to_string(parsed.line) + ": " + parsed.problem);
    if (auto st = mta::tcp_rules::write_cdb(cdb_path, parsed.entries); !st)
        die_write(cdb_path, st.error());
    std::printf("wrote control/tcp.smtp.cdb\n");
}

std::vector<Listen> configured_listeners(std::string const& root)
{
    auto text = mta::read_file(root + "/control/services", 1024UL * 1024);
    if (!text)
        mta::log::fatal(
            mta::kExitTemp, "unable to read " + root + "/control/services", text.error());
    std::vector<Listen> out;
    size_t start = 0;
    while (start < text->size()) {
        size_t end = text->find('\n', start);
        if (end == std::string::npos)
            end = text->size();
        std::string line = text->substr(start, end - start);
        start = end + 1;
        while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
            line.pop_back();
        if (line.empty() || line[0] == '#')
            continue;
        auto listen = parse_listen(line);
        if (!listen)
            mta::log::fatal(
                mta::kExitTemp, "control/services: bad line " + line + ": " + listen.error().what);
        out.push_back(*listen);
    }
    return out;
}

} // namespace

std::string shell_quote(std::string const& text)
{
    std::string out = "'";
    for (char c : text) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

std::string send_run_script(std::string const& root)
{
    std::string const dd = shell_quote(root + "/control/defaultdelivery");
    return "#!/bin/sh\n"
           "# send: the delivery processes, written by mailctl init. start starts lspawn,\n"
           "# rspawn and clean and becomes send, so svc -d (mailctl stop) reaches send, which\n"
           "# lets deliveries in flight finish. Accounts without a .qmail file get\n"
           "# control/defaultdelivery, else ./Maildir/.\n"
           "exec 2>&1\n"
           "dd=./Maildir/\n"
           "if [ -s "
        + dd + " ]; then dd=$(cat " + dd
        + "); fi\n"
          "exec "
        + shell_quote(root + "/bin/start") + " \"$dd\"\n";
}

std::string log_run_script(std::string const& root, std::string const& name)
{
    return "#!/bin/sh\n"
           "# The log of "
        + name + ": multilog as " + mta::conf::kUserLog + " into " + root + "/log/" + name
        + ",\n# files of 1 MB, 20 kept. Read it with: tai64nlocal < " + root + "/log/" + name
        + "/current\nexec " + shell_quote(root + "/bin/setuidgid") + " " + mta::conf::kUserLog + " "
        + shell_quote(root + "/bin/multilog") + " t s1000000 n20 "
        + shell_quote(root + "/log/" + name) + "\n";
}

std::string listener_run_script(std::string const& root, Listen const& listen, long memory_limit)
{
    ListenerProgram const* program = program_for(listen.service);
    std::string const conc = shell_quote(root + "/control/concurrencyincoming");
    std::string out = "#!/bin/sh\n# " + listen.service + ": " + listen.to_string()
        + " (control/services), written by mailctl init; edit freely, init keeps it.\n";
    bool const own_privileges = program && program->drops_privileges;
    if (!own_privileges)
        out += "# Rules: control/tcp.smtp, compiled with tcprules into control/tcp.smtp.cdb.\n";
    out += "exec 2>&1\n";
    if (listen.address == "*")
        out += "host=::\n[ -e /proc/net/if_inet6 ] || host=0  # no IPv6: every IPv4 address\n";
    else
        out += "host=" + shell_quote(listen.address) + "\n";
    out += "me=$(head -n 1 " + shell_quote(root + "/control/me") + " 2>/dev/null)\n";
    out += "conc=$(head -n 1 " + conc + " 2>/dev/null)\n";
    if (program && *program->env) {
        std::string const env = program->env;
        out += env + "\nexport " + env.substr(0, env.find('=')) + "\n";
    }
    out += "exec ";
    if (memory_limit > 0)
        out += shell_quote(root + "/bin/softlimit") + " -m " + std::to_string(memory_limit)
            + " \\\n    ";
    out += shell_quote(root + "/bin/tcpserver") + " -v -H -R -l \"${me:-localhost}\" -c \"${conc:-"
        + std::to_string(kConcurrency) + "}\" -C " + std::to_string(kPerIp) + " \\\n    ";
    if (!own_privileges)
        out += "-x " + shell_quote(root + "/control/tcp.smtp.cdb") + " -u " + mta::conf::kUserDaemon
            + " -g " + mta::conf::kGroupNofiles + " ";
    out += "\"$host\" " + std::to_string(listen.port) + " \\\n    "
        + shell_quote(root + "/bin/" + (program ? program->program : listen.service)) + "\n";
    return out;
}

void write_service_dirs(std::string const& root)
{
    write_service(root, "send", send_run_script(root));
    bool const have_tcpserver = exists(root + "/bin/tcpserver");
    std::vector<Listen> runnable;
    for (auto const& listen : configured_listeners(root)) {
        ListenerProgram const* program = program_for(listen.service);
        if (program && have_tcpserver && exists(root + "/bin/" + program->program))
            runnable.push_back(listen);
        else if (!exists(root + "/service/" + listen.service))
            std::printf("skipped service/%s (its programs are not part of this build)\n",
                listen.service.c_str());
    }
    if (!runnable.empty())
        write_rules(root); // before the services, which need the cdb
    for (auto const& listen : runnable)
        write_service(root, listen.service, listener_run_script(root, listen, kMemoryLimit));
}

} // namespace admin
