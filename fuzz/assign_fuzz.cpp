// assign_fuzz - libFuzzer target for the users/assign parser and the users/cdb record
// encoding (lib/assign.hpp).
//
//     make fuzz && cp -r fuzz/corpus/assign /tmp/corpus &&
//         build-fuzz/assign_fuzz -max_total_time=60 /tmp/corpus
//
// Feeds the input to assign::parse and checks what it promises: a malformed file names a
// line that exists (or the one after the last, for a missing "."); a good file gives
// entries whose fields obey the documented rules, which print back to a file that parses
// to the same entries, and whose cdb values decode to the same deliveries. A broken
// promise aborts, which libFuzzer reports as a crash.
#include "assign.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void require(bool condition)
{
    if (!condition)
        std::abort();
}

bool same(mta::Delivery const& a, mta::Delivery const& b)
{
    return a.user == b.user && a.uid == b.uid && a.gid == b.gid && a.home == b.home
        && a.dash == b.dash && a.ext == b.ext;
}

bool clean_field(std::string_view s)
{
    return s.find_first_of(std::string_view(":\n\0", 3)) == std::string_view::npos;
}

void check_entry(mta::assign::Entry const& e)
{
    auto const& d = e.delivery;
    require(clean_field(e.local) && clean_field(d.user) && clean_field(d.home));
    require(clean_field(d.dash) && clean_field(d.ext));
    require(e.wildcard || !e.local.empty());
    require(!d.user.empty() && d.uid != 0 && d.uid != static_cast<uid_t>(-1));
    require(d.gid != static_cast<gid_t>(-1));
    require(!d.home.empty() && d.home.front() == '/');
    require(d.dash.empty() || d.dash == "-");
    std::string const key = mta::assign::cdb_key(e);
    require(key.size() == e.local.size() + (e.wildcard ? 1 : 2) && key.front() == '!');
    auto decoded = mta::assign::decode(mta::assign::cdb_value(e));
    require(decoded.ok() && same(*decoded, d));
}

// The entries printed as a users/assign file of their own.
std::string print(std::vector<mta::assign::Entry> const& entries)
{
    std::string text;
    for (auto const& e : entries) {
        auto const& d = e.delivery;
        text += (e.wildcard ? "+" : "=") + e.local + ":" + d.user + ":" + std::to_string(d.uid)
            + ":" + std::to_string(d.gid) + ":" + d.home + ":" + d.dash + ":" + d.ext + ":\n";
    }
    return text + ".\n";
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(uint8_t const* data, size_t size)
{
    std::string_view const in(reinterpret_cast<char const*>(data), size);
    auto parsed = mta::assign::parse(in);
    // Lines in the input, a last one without LF included.
    size_t const lines = static_cast<size_t>(std::count(in.begin(), in.end(), '\n'))
        + (!in.empty() && in.back() != '\n' ? 1 : 0);
    if (!parsed.ok()) {
        require(parsed.line >= 1 && parsed.line <= lines + 1 && *parsed.problem != '\0');
        return 0;
    }
    size_t previous = 0;
    for (auto const& e : parsed.entries) {
        require(e.line > previous && e.line <= lines + 1);
        previous = e.line;
        check_entry(e);
    }
    auto again = mta::assign::parse(print(parsed.entries));
    require(again.ok() && again.entries.size() == parsed.entries.size());
    for (size_t i = 0; i < again.entries.size(); ++i) {
        require(again.entries[i].wildcard == parsed.entries[i].wildcard);
        require(again.entries[i].local == parsed.entries[i].local);
        require(same(again.entries[i].delivery, parsed.entries[i].delivery));
    }
    auto records = mta::assign::cdb_records(parsed.entries);
    require(records.size() == parsed.entries.size() + 1 && records.back().first.empty());
    return 0;
}
