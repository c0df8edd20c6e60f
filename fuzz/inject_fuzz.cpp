// libFuzzer target for inject's header tokenizer and rewriter (inject/token, inject/rewrite,
// inject/message): pure functions, no I/O. The first byte picks the mode:
//   even: the rest is an address-list field value. When rewrite_field accepts it, its
//         output must end in LF, hold no NUL, re-tokenize, and rewriting it again must
//         give the same text and non-empty addresses (the rewriting is idempotent);
//   odd:  the rest is a header, one field per line (continuations kept), for
//         process_header; an accepted header ends in LF and names no empty recipient.
#include "../inject/message.hpp"
#include "../inject/rewrite.hpp"
#include "../inject/token.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace {

void require(bool condition)
{
    if (!condition)
        __builtin_trap();
}

inject::Rewriter const& rewriter()
{
    static inject::Rewriter const rw
        = std::move(*inject::Rewriter::make("dh.example", "dd.example", "pd.example"));
    return rw;
}

void check_field(std::string_view value)
{
    auto first = rewriter().rewrite_field("To", value);
    if (!first)
        return;
    std::string const& text = first->text;
    require(text.starts_with("To:") && text.ends_with('\n'));
    require(text.find('\0') == std::string::npos);
    std::string_view again = std::string_view(text).substr(3, text.size() - 4);
    require(inject::tokenize(again).ok());
    auto second = rewriter().rewrite_field("To", again);
    require(second.ok());
    require(second->text == text);
    // A bare address that rewriting empties ("@route") prints as nothing, so it is seen
    // only the first time; every other address must come out the same.
    std::erase(first->addresses, "");
    std::erase(second->addresses, "");
    require(second->addresses == first->addresses);
}

std::vector<inject::InputField> split_fields(std::string_view text)
{
    std::vector<inject::InputField> fields;
    std::size_t line = 1;
    while (!text.empty()) {
        std::size_t lf = text.find('\n');
        std::string_view piece = text.substr(0, lf == text.npos ? text.size() : lf);
        text.remove_prefix(lf == text.npos ? text.size() : lf + 1);
        if (!fields.empty() && (piece.starts_with(' ') || piece.starts_with('\t')))
            fields.back().text.append(piece).append("\n");
        else
            fields.push_back({ std::string(piece) + "\n", line });
        ++line;
    }
    return fields;
}

void check_header(std::string_view text)
{
    inject::MessageSettings settings;
    settings.identity.user = "joe";
    settings.identity.sender_user = "joe";
    settings.idhost = "id.example";
    settings.followup_lists = { "list@x.org" };
    auto outcome = inject::process_header(split_fields(text), rewriter(), settings);
    if (auto* message = std::get_if<inject::Message>(&outcome)) {
        require(message->header.ends_with('\n'));
        for (auto const& r : message->header_recipients)
            require(!r.empty());
    } else {
        require(!inject::describe(std::get<inject::HeaderError>(outcome)).empty());
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size == 0)
        return 0;
    std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (data[0] % 2 == 0)
        check_field(text);
    else
        check_header(text);
    return 0;
}
