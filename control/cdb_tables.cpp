#include "cdb_tables.hpp"

#include "assign.hpp"
#include "cdb.hpp"
#include "control.hpp"
#include "control_files.hpp"
#include "fd.hpp"
#include "tcp_rules.hpp"
#include "virtual_store.hpp"

#include <algorithm>
#include <cerrno>
#include <functional>
#include <optional>
#include <set>
#include <sys/file.h>
#include <sys/stat.h>

namespace admin {

namespace {

constexpr size_t kMaxSourceBytes = size_t { 256 } << 20;

using State = TableOutcome::State;
using Records = std::vector<std::pair<std::string, std::string>>;

bool exists(std::string const& path)
{
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

TableOutcome made(State state, std::string const& table, std::string text = "", size_t keys = 0)
{
    return TableOutcome { state, table, keys, std::move(text) };
}

TableOutcome failure(std::string const& table, std::string const& what, mta::Error const& e)
{
    return made(State::failed, table, what + ": " + e.text());
}

// A table whose source is missing: left as it is (and said so) when it exists.
TableOutcome no_source(std::string const& root, std::string const& table, std::string const& source)
{
    if (!exists(root + "/" + table))
        return made(State::none, table);
    return made(State::kept, table, source + " is missing; the table is left as it is");
}

// The text of ROOT/source; nullopt with *outcome set when it is missing or unreadable.
std::optional<std::string> read_source(std::string const& root, std::string const& source,
    std::string const& table, TableOutcome& outcome)
{
    auto text = mta::read_file(root + "/" + source, kMaxSourceBytes);
    if (text)
        return std::move(*text);
    if (text.error().errnum == ENOENT)
        outcome = no_source(root, table, source);
    else if (text.error().errnum == EFBIG)
        outcome = made(State::bad_source, table, source + " is bigger than 256 MiB");
    else
        outcome = failure(table, "unable to read " + source, text.error());
    return std::nullopt;
}

TableOutcome rebuild_more_rcpthosts(std::string const& root)
{
    std::string const table = "control/morercpthosts.cdb";
    TableOutcome outcome;
    auto text = read_source(root, "control/morercpthosts", table, outcome);
    if (!text)
        return outcome;
    auto parsed = parse_more_rcpthosts(*text);
    if (!parsed.problem.empty())
        return made(State::bad_source, table,
            "control/morercpthosts line " + std::to_string(parsed.line) + ": " + parsed.problem);
    auto writer = mta::CdbWriter::create(root + "/" + table, 0644);
    if (!writer)
        return failure(table, "unable to write " + table, writer.error());
    for (auto const& key : parsed.keys)
        if (auto st = writer->add(key, ""); !st)
            return failure(table, "unable to write " + table, st.error());
    if (auto st = writer->commit(); !st)
        return failure(table, "unable to write " + table, st.error());
    return made(State::rebuilt, table, "", parsed.keys.size());
}

// tcp.NAME: a rules file of tcprules' syntax.
bool is_rules_name(std::string_view name)
{
    if (!name.starts_with("tcp.") || name.size() == 4)
        return false;
    for (char c : name.substr(4))
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
                || c == '_'))
            return false;
    return true;
}

std::vector<std::string> rules_files(std::string const& root, bool with_tables)
{
    std::vector<std::string> out;
    auto names = mta::list_directory(root + "/control");
    for (auto const& name : names ? *names : std::vector<std::string> {})
        if (is_rules_name(name)
            || (with_tables && name.ends_with(".cdb")
                && is_rules_name(std::string_view(name).substr(0, name.size() - 4))))
            out.push_back("control/" + name);
    std::sort(out.begin(), out.end());
    return out;
}

mta::tcp_rules::Parsed parse_rules(std::string const& source, std::string const& text,
    std::string const& table, TableOutcome& outcome)
{
    auto parsed = mta::tcp_rules::parse(text);
    if (!parsed.ok())
        outcome = made(State::bad_source, table,
            source + " line " + std::to_string(parsed.line) + ": " + parsed.problem);
    return parsed;
}

TableOutcome rebuild_rules(std::string const& root, std::string const& source)
{
    std::string const table = source + ".cdb";
    TableOutcome outcome;
    auto text = read_source(root, source, table, outcome);
    if (!text)
        return outcome;
    auto parsed = parse_rules(source, *text, table, outcome);
    if (!parsed.ok())
        return outcome;
    if (auto st = mta::tcp_rules::write_cdb(root + "/" + table, parsed.entries); !st)
        return failure(table, "unable to write " + table, st.error());
    return made(State::rebuilt, table, "", parsed.entries.size());
}

// --- mailctl check ---------------------------------------------------------------------

bool newer(struct timespec const& a, struct timespec const& b)
{
    return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

// Of sources (directories end in '/'), the newest file changed after `than`; else the
// newest such directory (a file in it was removed); "" when none was.
std::string newest_after(
    std::string const& root, std::vector<std::string> const& sources, struct timespec than)
{
    std::string best[2];
    struct timespec best_time[2] = { than, than };
    for (auto const& rel : sources) {
        struct stat st;
        if (::lstat((root + "/" + rel).c_str(), &st) == -1)
            continue;
        int const dir = rel.ends_with('/') ? 1 : 0;
        if (newer(st.st_mtim, best_time[dir])) {
            best[dir] = rel;
            best_time[dir] = st.st_mtim;
        }
    }
    return best[0].empty() ? best[1] : best[0];
}

// Every record of a cdb, in file order.
mta::Result<Records> read_records(std::string const& path)
{
    auto db = mta::Cdb::open(path);
    if (!db)
        return db.error();
    Records out;
    auto st = db->for_each([&](std::string_view key, std::string_view value) {
        out.emplace_back(key, value);
        return mta::Status();
    });
    if (!st)
        return st.error();
    return out;
}

// Compares ROOT/table with want; a line for out when they differ.
void compare(std::string const& root, std::string const& table, std::string const& from,
    Records want, std::function<std::vector<std::string>()> const& sources,
    std::vector<std::string>& out)
{
    std::string const path = root + "/" + table;
    struct stat st;
    if (::stat(path.c_str(), &st) == -1) {
        if (!want.empty())
            out.push_back(table + " is missing; run mailctl cdb");
        return;
    }
    auto have = read_records(path);
    if (!have) {
        out.push_back(table + ": " + have.error().text() + "; run mailctl cdb");
        return;
    }
    std::sort(have->begin(), have->end());
    std::sort(want.begin(), want.end());
    if (*have == want)
        return;
    std::vector<std::string> const list = sources();
    std::string const changed = newest_after(root, list, st.st_mtim);
    out.push_back(table
        + (changed.empty() ? " is out of date with " + from : " is older than " + changed)
        + "; run mailctl cdb");
}

// The files (and directories) users/recipients.cdb is made from.
std::vector<std::string> store_sources(std::string const& root, VirtualStore const& store)
{
    std::vector<std::string> out = { "control/virtualdomains", "users/passwd" };
    auto add_dir = [&](std::string const& rel) {
        out.push_back(rel + "/");
        auto names = mta::list_directory(root + "/" + rel);
        for (auto const& name : names ? *names : std::vector<std::string> {})
            if (name.starts_with(".qmail"))
                out.push_back(rel + "/" + name);
    };
    auto domains = store.domains();
    for (auto const& d : domains ? *domains : std::vector<std::string> {}) {
        add_dir("domains/" + d);
        auto users = store.users(d);
        for (auto const& u : users ? *users : std::vector<std::string> {})
            add_dir("domains/" + d + "/" + u);
    }
    return out;
}

void check_recipients(std::string const& root, std::vector<std::string>& out)
{
    VirtualStore const store(root);
    auto want = store.recipient_records();
    if (!want) {
        out.push_back("users/recipients.cdb: cannot be rebuilt: " + want.problem());
        return;
    }
    compare(
        root, "users/recipients.cdb", "the virtual domains", std::move(*want),
        [&] { return store_sources(root, store); }, out);
}

void check_more_rcpthosts(std::string const& root, std::vector<std::string>& out)
{
    auto text = mta::read_file(root + "/control/morercpthosts", kMaxSourceBytes);
    if (!text)
        return; // missing: smtpd uses the table as it is; unreadable: check_control_files
    auto parsed = parse_more_rcpthosts(*text);
    if (!parsed.problem.empty())
        return; // check_control_files names the line
    Records want;
    for (auto const& key : parsed.keys)
        want.emplace_back(key, "");
    compare(
        root, "control/morercpthosts.cdb", "control/morercpthosts", std::move(want),
        [] { return std::vector<std::string> { "control/morercpthosts" }; }, out);
}

void check_rules(std::string const& root, std::vector<std::string>& out)
{
    for (auto const& source : rules_files(root, false)) {
        auto text = mta::read_file(root + "/" + source, kMaxSourceBytes);
        if (!text) {
            out.push_back(source + ": " + text.error().text());
            continue;
        }
        TableOutcome bad;
        auto parsed = parse_rules(source, *text, source + ".cdb", bad);
        if (!parsed.ok()) {
            out.push_back(bad.text);
            continue;
        }
        Records want;
        for (auto const& e : parsed.entries)
            want.emplace_back(e.key, e.data);
        compare(
            root, source + ".cdb", source, std::move(want),
            [&] { return std::vector<std::string> { source }; }, out);
    }
}

} // namespace

MoreRcptHosts parse_more_rcpthosts(std::string_view text)
{
    MoreRcptHosts out;
    std::set<std::string> seen;
    size_t number = 0;
    while (!text.empty()) {
        ++number;
        size_t const nl = text.find('\n');
        std::string_view const line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        auto items = mta::control::parse_lines(line);
        std::string problem = items ? "" : items.error().text();
        if (items && !items->empty())
            problem = check_item(ValueKind::RcptHostList, items->front());
        if (!problem.empty()) {
            out.line = number;
            out.problem = problem;
            out.keys.clear();
            return out;
        }
        if (items && !items->empty()) {
            std::string key = mta::assign::lowercase(items->front());
            if (seen.insert(key).second)
                out.keys.push_back(std::move(key));
        }
    }
    return out;
}

TableOutcome rebuild_users_cdb(std::string const& root)
{
    std::string const table = "users/cdb";
    auto fd = mta::open_read(root + "/users/assign");
    if (!fd && fd.error().errnum == ENOENT)
        return no_source(root, table, "users/assign");
    if (!fd)
        return failure(table, "unable to read users/assign", fd.error());
    // As newu: whoever rebuilds users/cdb holds an exclusive flock on users/assign.
    if (::flock(fd->get(), LOCK_EX) == -1)
        return failure(table, "unable to lock users/assign", mta::Error::from_errno("flock"));
    TableOutcome outcome;
    auto text = read_source(root, "users/assign", table, outcome);
    if (!text)
        return outcome;
    auto parsed = mta::assign::parse(*text);
    if (!parsed.ok())
        return made(State::bad_source, table,
            "users/assign line " + std::to_string(parsed.line) + ": " + parsed.problem);
    if (auto st = mta::assign::write_cdb(root + "/" + table, parsed.entries); !st)
        return failure(table, "unable to write users/cdb", st.error());
    return made(State::rebuilt, table, "", mta::assign::cdb_records(parsed.entries).size());
}

std::vector<TableOutcome> rebuild_tables(std::string const& root, VirtualStore const& store)
{
    std::vector<TableOutcome> out;
    out.push_back(rebuild_users_cdb(root));
    std::string const recipients = "users/recipients.cdb";
    auto domains = store.domains();
    if (!domains) {
        out.push_back(made(State::failed, recipients, domains.problem()));
    } else if (!domains->empty() || exists(root + "/" + recipients)) {
        auto keys = store.write_recipients();
        out.push_back(keys ? made(State::rebuilt, recipients, "", *keys)
                           : made(State::failed, recipients, keys.problem()));
    }
    out.push_back(rebuild_more_rcpthosts(root));
    for (auto const& name : rules_files(root, true)) {
        if (!name.ends_with(".cdb"))
            out.push_back(rebuild_rules(root, name));
        else if (!exists(root + "/" + name.substr(0, name.size() - 4)))
            out.push_back(made(State::kept, name,
                name.substr(0, name.size() - 4) + " is missing; the table is left as it is"));
    }
    return out;
}

std::vector<std::string> stale_tables(std::string const& root)
{
    std::vector<std::string> out;
    check_recipients(root, out);
    check_more_rcpthosts(root, out);
    check_rules(root, out);
    return out;
}

} // namespace admin
