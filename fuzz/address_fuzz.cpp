// libFuzzer target for lib/address: parse_path (every option combination),
// parse_path_with_params and parse_addr_spec on arbitrary bytes. Invariants checked:
// a parsed address survives to_string() and a second parse unchanged, it respects the
// options' limits, its domain passes check_domain() (and a domain that passes is accepted
// in a path), and quote_local() output always parses back to the same local part.
#include "address.hpp"
#include "domain.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

void require(bool condition)
{
    if (!condition)
        __builtin_trap();
}

void check_path(std::string_view text, mta::PathOptions const& options)
{
    auto first = mta::parse_path(text, options);
    if (!first) {
        require(first.error().what != nullptr && *first.error().what != '\0');
        return;
    }
    require(!first->is_null() || options.allow_null);
    require(!first->domain.empty() || !options.require_domain || first->is_null());
    require(first->local.size() <= options.max_local);
    require(first->domain.size() <= options.max_domain);
    if (!first->domain.empty() && first->domain.size() <= 255) // check_domain's limit
        require(mta::check_domain(first->domain, options.allow_utf8).ok());
    auto again = mta::parse_path("<" + first->to_string() + ">", options);
    require(again.ok() && *again == *first);
}

void check_params(std::string_view text, mta::PathOptions const& options)
{
    auto parsed = mta::parse_path_with_params(text, options);
    if (!parsed)
        return;
    require(text.ends_with(parsed->params));
    require(parsed->params.empty() || parsed->params[0] != ' ');
    auto again = mta::parse_path("<" + parsed->address.to_string() + ">", options);
    require(again.ok() && *again == parsed->address);
}

void check_addr_spec(std::string_view text, mta::PathOptions const& options)
{
    auto first = mta::parse_addr_spec(text, options);
    if (!first)
        return;
    require(!first->local.empty());
    auto again = mta::parse_addr_spec(first->to_string(), options);
    require(again.ok() && *again == *first);
}

// Any printable ASCII local part, quoted as needed, parses back to itself.
void check_quote(std::string_view text)
{
    if (text.empty() || text.size() > 60)
        return;
    for (char c : text)
        if (c < 32 || c > 126)
            return;
    mta::PathOptions options;
    options.max_local = 200;
    auto parsed = mta::parse_path("<" + mta::quote_local(text) + "@example.org>", options);
    require(parsed.ok() && parsed->local == text);
    require(mta::is_dot_atom(text) == (mta::quote_local(text) == text));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    for (unsigned bits = 0; bits < 16; ++bits) {
        mta::PathOptions options;
        options.allow_null = (bits & 1) != 0;
        options.allow_missing_brackets = (bits & 2) != 0;
        options.require_domain = (bits & 4) != 0;
        options.allow_utf8 = (bits & 8) != 0;
        if (bits == 15)
            options.max_local = options.max_domain = options.max_path = 5000;
        check_path(text, options);
        check_params(text, options);
        check_addr_spec(text, options);
    }
    check_quote(text);
    mta::PathOptions utf8 { .allow_utf8 = true, .max_path = 300 };
    if (mta::check_domain(text, true).ok())
        require(mta::parse_path("<a@" + std::string(text) + ">", utf8).ok());
    auto [local, domain] = mta::split_at_last_at(text);
    require(local.size() + domain.size() + (text.find('@') != std::string_view::npos ? 1 : 0)
        == text.size());
    require(mta::lowercase_domain(text).size() == text.size());
    return 0;
}
