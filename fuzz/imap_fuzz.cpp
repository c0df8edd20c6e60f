// libFuzzer target for imapd's command parser (imapd/parser, imapd/command), its pre-login
// state machine (imapd/login) and its MIME reader (imapd/mime). The input is one command as the
// CommandReader hands it over
// ("tag VERB args", literals inline); every argument parser is run on the text after
// the verb, then the input is also read as a message. Invariants checked: parsers never
// read past the text, sequence sets answer consistently, quote() round-trips through the
// Cursor, and every part of a parsed message lies inside it.
#include "../imapd/command.hpp"
#include "../imapd/login.hpp"
#include "../imapd/mime.hpp"
#include "../imapd/parser.hpp"
#include "../lib/base64.hpp"

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

void check_part(imapd::Part const& p, size_t size, int depth)
{
    require(p.header_begin <= p.body_begin && p.body_begin <= p.end && p.end <= size);
    require(depth <= imapd::kMaxDepth + 2);
    for (auto const& child : p.children) {
        require(child.header_begin >= p.body_begin && child.end <= p.end);
        check_part(child, size, depth + 1);
    }
}

void check_args(std::string_view args)
{
    {
        imapd::Cursor c(args);
        if (auto fetch = imapd::parse_fetch(c)) {
            require(c.at_end());
            require(!fetch->items.empty());
        }
    }
    {
        imapd::Cursor c(args);
        if (imapd::parse_store(c))
            require(c.at_end());
    }
    {
        imapd::Cursor c(args);
        if (imapd::parse_search(c))
            require(c.at_end());
    }
    {
        imapd::Cursor c(args.substr(args.empty() ? 0 : 1));
        if (auto set = c.seq_set()) {
            bool const in = set->contains(1, 10);
            require(in == set->contains(1, 10));
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    imapd::Cursor c(text);
    if (c.tag() && c.sp()) {
        if (auto verb = c.atom()) {
            require(c.position() <= text.size());
            check_args(c.rest());
            if (c.sp()) {
                imapd::Cursor d(c.rest());
                (void)d.astring();
                require(d.position() <= c.rest().size());
                imapd::Cursor e(c.rest());
                (void)e.list_mailbox();
                imapd::Cursor f(c.rest());
                (void)f.flag_list();
            }
        }
    }
    (void)imapd::literal_at_end(text);
    imapd::Login login({ true, (size & 1) != 0, false });
    auto step = login.handle(std::string(text));
    require(!step.reply.empty() || step.action == imapd::LoginAction::authenticate);
    (void)login.sasl_response(text);
    (void)mta::decode_base64(text);
    std::string quoted = imapd::quote(text);
    imapd::Cursor q(quoted);
    auto back = q.string();
    require(back && *back == text && q.at_end());

    if (size <= 64 * 1024) {
        std::string message = imapd::to_crlf(text);
        require(message.size() == imapd::crlf_size(text));
        imapd::Part root = imapd::parse_message(message);
        check_part(root, message.size(), 0);
        (void)imapd::envelope(message, root);
        (void)imapd::body_structure(message, root, true);
        imapd::Section s;
        s.part = { 1, 2 };
        (void)imapd::section_text(message, root, s);
        s.text = imapd::Section::Text::mime;
        (void)imapd::section_text(message, root, s);
        (void)imapd::parse_rfc822_date(text.substr(0, 200));
    }
    return 0;
}
