// libFuzzer target for pop3d's command handling: the input is split into lines and fed
// to the AUTHORIZATION state machine (pop3d/login) under each policy, and to the
// TRANSACTION state (pop3d/maildrop) over a made-up list of messages whose files do not
// exist. Invariants: every reply is non-empty, made of CRLF-terminated lines that start
// with "+OK", "-ERR", "+ " or belong to a multi-line answer ending in "."; a login
// request names a non-empty login; base64 decoding round-trips sizes.
#include "../lib/base64.hpp"
#include "../pop3d/command.hpp"
#include "../pop3d/login.hpp"
#include "../pop3d/maildrop.hpp"

#include <cstddef>
#include <cstdint>
#include <fcntl.h>
#include <string>
#include <string_view>
#include <unistd.h>

namespace {

void require(bool condition)
{
    if (!condition)
        __builtin_trap();
}

void check_reply(std::string const& reply, bool may_be_empty)
{
    if (reply.empty()) {
        require(may_be_empty);
        return;
    }
    require(reply.size() >= 2 && reply.compare(reply.size() - 2, 2, "\r\n") == 0);
    require(reply.starts_with("+OK") || reply.starts_with("-ERR") || reply == "+ \r\n");
}

void run_login(std::string_view input, pop3d::Policy policy)
{
    pop3d::Login login(policy);
    size_t pos = 0;
    while (pos < input.size()) {
        size_t nl = input.find('\n', pos);
        std::string_view line = input.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
        pos = nl == std::string_view::npos ? input.size() : nl + 1;
        pop3d::Step step = login.handle_line(line);
        if (step.action == pop3d::Action::authenticate) {
            require(!step.login.empty());
            check_reply(step.reply, true);
            step = login.login_failed(line.size() % 2 == 0);
        }
        check_reply(step.reply, false);
        if (step.action == pop3d::Action::starttls)
            login.tls_started();
        if (step.action == pop3d::Action::quit || step.action == pop3d::Action::close)
            return;
    }
}

void run_transaction(std::string_view input)
{
    static int null = ::open("/dev/null", O_WRONLY);
    mta::Writer out(null);
    std::vector<pop3d::Message> messages(3);
    for (size_t i = 0; i < messages.size(); ++i) {
        messages[i].path = "new/missing-" + std::to_string(i);
        messages[i].uid = "missing-" + std::to_string(i);
        messages[i].size = 100 * i;
    }
    pop3d::Maildrop drop("/nonexistent-pop3-fuzz", messages, out);
    size_t pos = 0;
    while (pos < input.size()) {
        size_t nl = input.find('\n', pos);
        std::string_view line = input.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
        pos = nl == std::string_view::npos ? input.size() : nl + 1;
        auto more = drop.handle_line(line);
        require(more.ok());
        if (!*more)
            return;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view const text(reinterpret_cast<const char*>(data), size);
    for (unsigned bits = 0; bits < 8; ++bits)
        run_login(text, pop3d::Policy { (bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0 });
    run_transaction(text);
    auto decoded = mta::decode_base64(text);
    if (decoded)
        require(decoded->size() <= text.size() / 4 * 3);
    auto n = pop3d::parse_number(text);
    if (n)
        require(*n < 1000000000UL && !text.empty() && text.size() <= 9);
    return 0;
}
