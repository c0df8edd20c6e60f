// libFuzzer target for smtpd's parsers: command lines (verbs, MAIL/RCPT paths and ESMTP
// parameters, BDAT sizes) and the DATA/BDAT message filter. Invariants checked: every
// refusal is a whole SMTP reply with an enhanced code of the same class; an accepted
// MAIL/RCPT address is within the queue's limit and has no CR, LF or NUL; a non-ASCII
// address is accepted only with SMTPUTF8; the filter gives the same result however the
// input is split, never consumes past the end of DATA, and a message it accepts holds no
// CR at all (so no line end can be read two ways by the next hop).
#include "../smtpd/command.hpp"
#include "../smtpd/message.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace {

void require(bool condition)
{
    if (!condition)
        __builtin_trap();
}

void check_reply(std::string const& reply)
{
    require(reply.size() >= 10 && reply[3] == ' ' && reply[5] == '.');
    require((reply[0] == '5' || reply[0] == '4') && reply[4] == reply[0]);
    require(reply.find_first_of("\r\n") == std::string::npos);
}

bool ascii(std::string_view text)
{
    for (unsigned char c : text)
        if (c >= 0x80)
            return false;
    return true;
}

void check_address(mta::Address const& a, bool utf8)
{
    require(a.local.size() + a.domain.size() + 1 <= mta::kMaxAddressBytes);
    require(a.local.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos);
    require(a.domain.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos);
    require(utf8 || (ascii(a.local) && ascii(a.domain)));
}

void check_command(std::string_view line)
{
    smtpd::Command const cmd = smtpd::parse_command(line);
    require(cmd.argument.size() <= line.size());
    auto mail = smtpd::parse_mail(cmd.argument);
    if (auto* bad = std::get_if<smtpd::ArgError>(&mail))
        check_reply(bad->reply);
    else
        check_address(
            std::get<smtpd::MailArgs>(mail).sender, std::get<smtpd::MailArgs>(mail).smtputf8);
    for (bool utf8 : { false, true }) {
        auto rcpt = smtpd::parse_rcpt(cmd.argument, utf8);
        if (auto* bad = std::get_if<smtpd::ArgError>(&rcpt))
            check_reply(bad->reply);
        else
            check_address(std::get<smtpd::RcptArgs>(rcpt).recipient, utf8);
    }
    auto bdat = smtpd::parse_bdat(cmd.argument);
    if (auto* bad = std::get_if<smtpd::ArgError>(&bdat))
        check_reply(bad->reply);
    else
        require(std::get<smtpd::BdatArgs>(bdat).size < 1000000000000000000ULL);
}

struct Filtered {
    std::string out;
    std::size_t consumed = 0;
    smtpd::Problem problem = smtpd::Problem::none;
    bool ended = false;
};

Filtered filter(smtpd::Framing framing, std::string_view in, std::size_t step)
{
    smtpd::MessageFilter f(framing, 5000);
    Filtered r;
    for (std::size_t at = 0; at < in.size() && !f.ended(); at += step)
        r.consumed += f.feed(in.substr(at, step), r.out);
    if (framing == smtpd::Framing::counted)
        f.finish(r.out);
    r.problem = f.problem();
    r.ended = f.ended();
    return r;
}

void check_filter(smtpd::Framing framing, std::string_view in)
{
    Filtered const whole = filter(framing, in, in.size() + 1);
    Filtered const bytes = filter(framing, in, 1);
    require(whole.out == bytes.out && whole.consumed == bytes.consumed);
    require(whole.problem == bytes.problem && whole.ended == bytes.ended);
    require(whole.consumed <= in.size());
    if (framing == smtpd::Framing::dot && whole.ended)
        require(whole.consumed >= 3 && in.substr(whole.consumed - 3, 3) == ".\r\n");
    if (whole.problem == smtpd::Problem::none) {
        require(whole.out.find('\r') == std::string::npos);
        require(whole.out.size() <= 5000);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(uint8_t const* data, std::size_t size)
{
    std::string_view const in(reinterpret_cast<char const*>(data), size);
    std::string_view rest = in;
    while (!rest.empty()) {
        auto const lf = rest.find('\n');
        check_command(rest.substr(0, lf));
        if (lf == std::string_view::npos)
            break;
        rest.remove_prefix(lf + 1);
    }
    check_filter(smtpd::Framing::dot, in);
    check_filter(smtpd::Framing::counted, in);
    return 0;
}
