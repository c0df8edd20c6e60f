// bench_cdb - the mail-suite side of bench/cdb/run.sh: builds a cdb table with
// mta::CdbWriter and looks keys up with mta::Cdb, with the same input and output
// formats as Postfix's postmap so that both sides do the same work.
//
//     bench_cdb build SOURCE TABLE    SOURCE holds "key value" lines (postmap's format)
//     bench_cdb query TABLE < KEYS    prints "key<TAB>value" for every key found
//                                     (the output of postmap -q - TYPE:TABLE)
//
// Build with:
//     g++ -std=c++20 -O2 -Ilib -Ibuild/gen bench/cdb/bench_cdb.cpp build/libmta.a
//         -lcdb -lcrypt -o build/bench_cdb      (one line; bench/cdb/run.sh does it)
#include "cdb.hpp"
#include "exit_codes.hpp"
#include "fd.hpp"
#include "log.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <unistd.h>

namespace {

constexpr size_t kMaxInputBytes = size_t { 1 } << 30;
constexpr std::string_view kBlanks = " \t\r";

std::string_view next_line(std::string_view& rest)
{
    auto lf = rest.find('\n');
    std::string_view line = rest.substr(0, lf);
    rest.remove_prefix(lf == std::string_view::npos ? rest.size() : lf + 1);
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    return line;
}

void check(mta::Status const& st, std::string_view what)
{
    if (!st)
        mta::log::fatal(mta::kExitTemp, what, st.error());
}

int build(std::string const& source, std::string const& table)
{
    auto content = mta::read_file(source, kMaxInputBytes);
    if (!content)
        mta::log::fatal(mta::kExitTemp, source, content.error());
    auto writer = mta::CdbWriter::create(table);
    if (!writer)
        mta::log::fatal(mta::kExitTemp, table, writer.error());
    std::string_view rest = *content;
    while (!rest.empty()) {
        std::string_view line = next_line(rest);
        auto key_end = line.find_first_of(kBlanks);
        if (line.empty() || line.front() == '#' || key_end == std::string_view::npos)
            continue;
        std::string_view value = line.substr(key_end);
        value.remove_prefix(std::min(value.size(), value.find_first_not_of(kBlanks)));
        check(writer->add(line.substr(0, key_end), value), "add");
    }
    check(writer->commit(), "commit");
    return mta::kExitOk;
}

std::string read_stdin()
{
    std::string in;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(0, buf, sizeof buf);
        if (n == 0)
            return in;
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            mta::log::fatal(mta::kExitTemp, "read", mta::Error::from_errno("unable to read"));
        in.append(buf, static_cast<size_t>(n));
    }
}

int query(std::string const& table)
{
    auto db = mta::Cdb::open(table);
    if (!db)
        mta::log::fatal(mta::kExitTemp, table, db.error());
    std::string const in = read_stdin();
    std::string out;
    std::string_view rest = in;
    while (!rest.empty()) {
        std::string_view key = next_line(rest);
        auto value = db->find(key);
        if (!value)
            mta::log::fatal(mta::kExitTemp, table, value.error());
        if (!*value)
            continue;
        out.append(key).append("\t").append(**value).append("\n");
        if (out.size() >= 65536) {
            check(mta::write_all(1, out), "write");
            out.clear();
        }
    }
    check(mta::write_all(1, out), "write");
    return mta::kExitOk;
}

} // namespace

int main(int argc, char** argv)
{
    return mta::run_main("bench_cdb", [&] {
        if (argc == 4 && std::strcmp(argv[1], "build") == 0)
            return build(argv[2], argv[3]);
        if (argc == 3 && std::strcmp(argv[1], "query") == 0)
            return query(argv[2]);
        mta::log::fatal(mta::kExitPerm, "usage: bench_cdb build SOURCE TABLE | query TABLE");
    });
}
