// tcprules_fuzz - libFuzzer target for the tcprules parser and the rules lookup keys
// (lib/tcp_rules.hpp).
//
//     make fuzz && cp -r fuzz/corpus/tcprules /tmp/corpus &&
//         build-fuzz/tcprules_fuzz -max_total_time=60 /tmp/corpus
//
// Feeds the input to parse() as a rules file, to decode() as a cdb value and, line by line,
// to lookup_keys() as a client address, and checks what they promise: a failed parse names
// a line of the input; every compiled value decodes back without a skipped item; keys and
// values stay bounded. A broken promise aborts, which libFuzzer reports as a crash.
#include "tcp_rules.hpp"

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

void check_parse(std::string_view in)
{
    auto parsed = mta::tcp_rules::parse(in);
    size_t const lines = size_t(std::count(in.begin(), in.end(), '\n')) + 1;
    if (!parsed.ok()) {
        require(parsed.line >= 1 && parsed.line <= lines);
        require(parsed.problem[0] != '\0');
        return;
    }
    for (auto const& e : parsed.entries) {
        require(e.line >= 1 && e.line <= lines);
        require(e.key.find('\n') == std::string::npos && e.key.size() <= in.size() + 64);
        auto rule = mta::tcp_rules::decode(e.key, e.data);
        require(rule.ok() && rule->skipped == 0);
        require(rule->env.size() <= mta::tcp_rules::kMaxVariables);
        for (auto const& [name, value] : rule->env) {
            require(mta::tcp_rules::valid_name(name));
            require(value.find('\n') == std::string::npos);
        }
    }
}

void check_lookup_keys(std::string_view in)
{
    std::string_view const line = in.substr(0, std::min(in.find('\n'), size_t { 200 }));
    mta::tcp_rules::Client client { std::string(line), std::nullopt, std::nullopt };
    auto keys = mta::tcp_rules::lookup_keys(client);
    require(keys.size() >= 2 && keys.size() <= 2 + 128 && keys.front() == line);
    require(keys.back().empty());
    client.host = "mx.example.org";
    client.info = std::string(line);
    require(mta::tcp_rules::lookup_keys(client).size() == keys.size() + 6);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(uint8_t const* data, size_t size)
{
    std::string_view const in(reinterpret_cast<char const*>(data), size);
    check_parse(in);
    (void)mta::tcp_rules::decode("key", in);
    check_lookup_keys(in);
    return 0;
}
