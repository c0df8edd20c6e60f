// dot_qmail_fuzz - libFuzzer target for local's .qmail parser and file-name rules
// (local/dot_qmail.hpp): pure functions, no I/O.
//
//     make fuzz && cp -r fuzz/corpus/dot_qmail /tmp/corpus &&
//         build-fuzz/dot_qmail_fuzz -max_total_time=60 /tmp/corpus
//
// The input is a .qmail file. Checked promises: a refusal is temporary with an "Uh-oh:"
// text; an accepted file gives at most kMaxInstructions instructions with increasing line
// numbers, each one line without NUL or trailing blanks, of the kind its first byte says;
// writing the instructions back out and parsing again gives the same instructions; with
// the x bit the file is accepted exactly when it has no program or file line. The input is
// also used as an extension: safe extensions keep the length and lose '.', '/' and upper
// case, and every candidate name starts with ".qmail-" and ends in the extension or in
// "default".
#include "../local/dot_qmail.hpp"
#include "address.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

void require(bool condition)
{
    if (!condition)
        __builtin_trap();
}

void check_instruction(local::Instruction const& i)
{
    std::string_view const text = i.text;
    require(text.find('\n') == std::string_view::npos);
    require(text.find('\0') == std::string_view::npos);
    require(text.size() <= local::kMaxLineBytes);
    if (!text.empty())
        require(text.back() != ' ' && text.back() != '\t' && text.back() != '\r');
    switch (i.kind) {
    case local::Kind::maildir:
        require(text.front() == '.' || text.front() == '/');
        require(text.back() == '/');
        break;
    case local::Kind::mbox:
        require(text.front() == '.' || text.front() == '/');
        require(text.back() != '/');
        break;
    case local::Kind::forward:
        require(!text.empty() && text.size() <= mta::kMaxAddressBytes);
        break;
    case local::Kind::program:
        break;
    }
}

// The instructions as a .qmail file that says the same.
std::string write_back(std::vector<local::Instruction> const& instructions)
{
    std::string out;
    for (auto const& i : instructions) {
        if (i.kind == local::Kind::program)
            out += '|';
        else if (i.kind == local::Kind::forward)
            out += '&';
        out += i.text + "\n";
    }
    return out;
}

bool same_instructions(
    std::vector<local::Instruction> const& a, std::vector<local::Instruction> const& b)
{
    if (a.size() != b.size())
        return false;
    for (size_t n = 0; n < a.size(); ++n) {
        if (a[n].kind != b[n].kind || a[n].text != b[n].text)
            return false;
    }
    return true;
}

void check_parse(std::string_view in)
{
    auto parsed = local::parse_dot_qmail(in, false);
    auto forward_only = local::parse_dot_qmail(in, true);
    if (!parsed) {
        require(parsed.failure().exit_code == 111);
        require(parsed.failure().text.rfind("Uh-oh: ", 0) == 0);
        require(!forward_only);
        return;
    }
    require(parsed->size() <= local::kMaxInstructions);
    size_t last_line = 0;
    bool only_forwards = true;
    for (auto const& i : *parsed) {
        check_instruction(i);
        require(i.line > last_line);
        last_line = i.line;
        only_forwards = only_forwards && i.kind == local::Kind::forward;
    }
    require(forward_only.ok() == only_forwards);
    if (forward_only)
        require(same_instructions(*forward_only, *parsed));
    auto again = local::parse_dot_qmail(write_back(*parsed), false);
    require(again.ok() && same_instructions(*again, *parsed));
}

void check_names(std::string_view ext)
{
    std::string const safe = local::safe_extension(ext);
    require(safe.size() == ext.size());
    require(safe.find_first_of("./ABCDEFGHIJKLMNOPQRSTUVWXYZ") == std::string::npos);
    auto const candidates = local::candidate_names("-", safe);
    require(!candidates.empty() && candidates.size() <= safe.size() + 2);
    require(candidates.front().name == ".qmail-" + safe);
    for (auto const& c : candidates) {
        require(c.name.rfind(".qmail-", 0) == 0);
        if (c.default_at) {
            require(*c.default_at <= safe.size());
            require(c.name.size() >= 7 && c.name.substr(c.name.size() - 7) == "default");
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(uint8_t const* data, size_t size)
{
    std::string_view const in(reinterpret_cast<char const*>(data), size);
    check_parse(in);
    if (size <= 4096)
        check_names(in);
    return 0;
}
