// mailctl check, users/: users/assign parses and users/cdb is its up-to-date compilation.
#include "users_check.hpp"

#include "assign.hpp"
#include "cdb.hpp"
#include "fd.hpp"

#include <algorithm>
#include <sys/stat.h>

namespace admin {

namespace {

void check_root_file(std::string const& path, std::string const& label, bool check_owners,
    std::vector<std::string>& out)
{
    struct stat st;
    if (::stat(path.c_str(), &st) == -1)
        return;
    if (st.st_mode & 0022)
        out.push_back(label + ": writable by group or others (want mode 0644)");
    if (check_owners && st.st_uid != 0)
        out.push_back(label + ": owner uid " + std::to_string(st.st_uid) + ", want root");
}

using Records = std::vector<std::pair<std::string, std::string>>;

// The records of a cdb, in file order; nullopt with a problem when it cannot be read.
std::optional<Records> read_records(std::string const& path, std::vector<std::string>& out)
{
    auto cdb = mta::Cdb::open(path);
    if (!cdb) {
        out.push_back("users/cdb: " + cdb.error().text() + " (run newu)");
        return std::nullopt;
    }
    Records records;
    auto st = cdb->for_each([&](std::string_view key, std::string_view value) {
        records.emplace_back(key, value);
        return mta::Status();
    });
    if (!st) {
        out.push_back("users/cdb: " + st.error().text() + " (run newu)");
        return std::nullopt;
    }
    return records;
}

} // namespace

std::vector<std::string> check_users(std::string const& root, bool check_owners)
{
    std::vector<std::string> out;
    std::string const assign_path = root + "/users/assign";
    auto text = mta::read_file(assign_path, size_t(256) << 20);
    if (!text) {
        if (text.error().errnum != ENOENT)
            out.push_back("users/assign: " + text.error().text());
        return out;
    }
    check_root_file(assign_path, "users/assign", check_owners, out);
    auto parsed = mta::assign::parse(*text);
    if (!parsed.ok()) {
        out.push_back("users/assign line " + std::to_string(parsed.line) + ": " + parsed.problem);
        return out;
    }
    for (auto const& [first, second] : mta::assign::shadowed(parsed.entries))
        out.push_back("users/assign line " + std::to_string(second) + ": repeats line "
            + std::to_string(first) + " and is never used");
    std::string const cdb_path = root + "/users/cdb";
    check_root_file(cdb_path, "users/cdb", check_owners, out);
    auto records = read_records(cdb_path, out);
    if (!records)
        return out;
    auto want = mta::assign::cdb_records(parsed.entries);
    auto sorted = [](Records r) {
        std::sort(r.begin(), r.end());
        return r;
    };
    if (sorted(*records) != sorted(want))
        out.push_back("users/cdb: out of date with users/assign (run newu)");
    return out;
}

} // namespace admin
