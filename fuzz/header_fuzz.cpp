// libFuzzer target for lib/header: HeaderReader with default and small limits, unfold,
// count_fields. Invariants checked: fields are contiguous from offset 0, lie inside the
// input and respect the limits; the body starts right after the last field (or after the
// blank line); status() fails exactly for malformed lines and limits; unfold is idempotent
// on reader values; count_hops sees at least the hops the reader saw.
#include "header.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

void require(bool condition)
{
    if (!condition)
        __builtin_trap();
}

void check_field(std::string_view text, mta::HeaderField const& field, std::size_t expected_offset,
    mta::HeaderLimits const& limits)
{
    require(field.offset == expected_offset);
    require(field.length > 0 && field.length <= limits.max_field_length);
    require(field.length <= text.size() - field.offset);
    require(!field.name.empty());
    require(field.name.data() == text.data() + field.offset);
    require(field.raw_value.data() >= field.name.data() + field.name.size());
    require(field.raw_value.data() + field.raw_value.size()
        <= text.data() + field.offset + field.length);
    std::string once = mta::unfold(field.raw_value);
    require(mta::unfold(once) == once);
    require(once.find_first_of(" \t") != 0);
    require(once.empty() || (once.back() != ' ' && once.back() != '\t'));
}

void check_reader(std::string_view text, mta::HeaderLimits const& limits)
{
    mta::HeaderReader reader(text, limits);
    std::size_t offset = 0;
    std::size_t hops = 0;
    while (auto field = reader.next()) {
        check_field(text, *field, offset, limits);
        offset += field->length;
        if (mta::field_name_equals(field->name, "Received")
            || mta::field_name_equals(field->name, "Delivered-To"))
            ++hops;
    }
    require(!reader.next().has_value());
    require(reader.field_count() <= limits.max_fields);
    switch (reader.end()) {
    case mta::HeaderEnd::kBlankLine:
        require(reader.status().ok());
        require(reader.body_offset() > offset && reader.body_offset() <= offset + 2);
        break;
    case mta::HeaderEnd::kEndOfInput:
        require(reader.status().ok() && reader.body_offset() == text.size());
        require(offset == text.size());
        break;
    case mta::HeaderEnd::kMalformedLine:
    case mta::HeaderEnd::kLimit:
        require(!reader.status().ok() && reader.body_offset() == offset);
        break;
    case mta::HeaderEnd::kNotEnded:
        require(false);
    }
    require(mta::count_hops(text) >= hops);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    check_reader(text, mta::HeaderLimits {});
    mta::HeaderLimits small;
    small.max_field_length = 40;
    small.max_fields = 4;
    check_reader(text, small);
    std::string whole = mta::unfold(text);
    require(whole.size() <= text.size());
    return 0;
}
