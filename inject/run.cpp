#include "run.hpp"

#include "env.hpp"
#include "exit_codes.hpp"
#include "install_root.hpp"
#include "log.hpp"
#include "queue_client.hpp"

#include <array>
#include <cstdint>
#include <ctime>
#include <sys/random.h>
#include <unistd.h>

namespace inject {

namespace {

[[noreturn]] void perm_usage()
{
    mta::log::fatal(mta::kExitPerm, kUsage);
}

[[noreturn]] void perm_address(std::string_view address, mta::Error error)
{
    mta::log::fatal(mta::kExitPerm, "unable to parse address: " + std::string(address), error);
}

[[noreturn]] void temp_control(std::string const& what, mta::Error error)
{
    mta::log::fatal(mta::kExitTemp, "unable to read " + what, error);
}

[[noreturn]] void temp_copy(mta::Error error)
{
    mta::log::fatal(mta::kExitTemp, "unable to copy the message", error);
}

std::optional<std::string_view> process_env(char const* name)
{
    return mta::env_get(name);
}

// The part of a Message-ID that tells apart two injections with the same second and pid
// (pid reuse, or hosts sharing an idhost): 32 random bits in hex.
std::string unique_id()
{
    uint32_t bits = 0;
    if (::getrandom(&bits, sizeof bits, GRND_NONBLOCK) != sizeof bits) {
        timespec now {};
        ::clock_gettime(CLOCK_REALTIME, &now);
        bits = static_cast<uint32_t>(now.tv_nsec) ^ static_cast<uint32_t>(::getpid() << 16);
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (int shift = 28; shift >= 0; shift -= 4)
        out += kHex[(bits >> shift) & 0xf];
    return out;
}

Controls controls_or_die(std::string const& root)
{
    auto controls = load_controls(root, process_env);
    if (auto* bad = std::get_if<ControlError>(&controls))
        temp_control(bad->path, bad->error);
    return std::get<Controls>(std::move(controls));
}

Rewriter rewriter_or_die(std::string const& root, Controls const& c)
{
    auto rewriter = Rewriter::make(c.defaulthost, c.defaultdomain, c.plusdomain);
    if (!rewriter)
        mta::log::fatal(mta::kExitTemp,
            "unable to parse defaulthost, defaultdomain or plusdomain in " + root + "/control",
            rewriter.error());
    return std::move(*rewriter);
}

} // namespace

Options options_or_die(int argc, char** argv)
{
    auto options = parse_options(argc, argv);
    if (!options)
        perm_usage();
    return std::move(*options);
}

std::string root_or_die()
{
    auto root = mta::install_root();
    if (!root)
        mta::log::fatal(mta::kExitTemp, "unable to find the install root", root.error());
    return *root;
}

Setup setup_or_die(std::string const& root, Options const& options)
{
    Controls const controls = controls_or_die(root);
    Setup setup { rewriter_or_die(root, controls), {}, {} };
    MessageSettings& s = setup.settings;
    s.flags = parse_flags(mta::env_or("QMAILINJECT", ""));
    s.identity = identity_from(process_env, options.name);
    s.idhost = controls.idhost;
    auto lists = load_followup_lists(process_env);
    if (!lists)
        temp_control("the QMAILMFTFILE file", lists.error());
    s.followup_lists = std::move(*lists);
    s.now = ::time(nullptr);
    s.pid = ::getpid();
    s.unique = unique_id();
    if (options.sender) {
        auto sender = setup.rewriter.rewrite_argument(*options.sender);
        if (!sender)
            perm_address(*options.sender, sender.error());
        s.envelope_sender = *sender;
    }
    if (uses_argument_recipients(options)) {
        for (auto const& arg : options.args) {
            auto recipient = setup.rewriter.rewrite_argument(arg);
            if (!recipient)
                perm_address(arg, recipient.error());
            if (recipient->empty())
                perm_address(arg, mta::Error::plain("empty address"));
            setup.argument_recipients.push_back(std::move(*recipient));
        }
    }
    return setup;
}

HeaderSection header_or_die(mta::Reader& in)
{
    auto header = read_header(in);
    if (!header) {
        if (header.error().errnum == 0)
            mta::log::fatal(mta::kExitPerm, header.error().what);
        mta::log::fatal(mta::kExitTemp, "unable to read the message", header.error());
    }
    return std::move(*header);
}

Message message_or_die(HeaderSection const& header, Setup const& setup)
{
    auto outcome = process_header(header.fields, setup.rewriter, setup.settings);
    if (auto* bad = std::get_if<HeaderError>(&outcome))
        mta::log::fatal(mta::kExitPerm, describe(*bad));
    return std::move(std::get<Message>(outcome));
}

std::vector<std::string> recipients_or_die(
    Options const& options, Setup const& setup, Message const& message)
{
    std::vector<std::string> recipients = setup.argument_recipients;
    if (uses_header_recipients(options))
        recipients.insert(
            recipients.end(), message.header_recipients.begin(), message.header_recipients.end());
    if (recipients.empty())
        mta::log::fatal(mta::kExitPerm, "no recipients");
    return recipients;
}

int print_message(Message const& message, HeaderSection const& header, mta::Reader& in)
{
    mta::Writer out(1);
    mta::Status written;
    auto put = [&](std::string_view data) {
        if (written)
            written = out.put(data);
    };
    put("Return-Path: <" + quote_address(message.sender) + ">\n");
    put(message.header);
    if (auto st = copy_body(header, in, put); !st)
        temp_copy(st.error());
    if (written)
        written = out.flush();
    if (!written)
        temp_copy(written.error());
    return mta::kExitOk;
}

int queue_message(std::string const& root, Message const& message,
    std::vector<std::string> const& recipients, HeaderSection const& header, mta::Reader& in)
{
    auto queue = mta::QueueClient::open(root);
    if (!queue)
        mta::log::fatal(mta::kExitTemp, "unable to run the queue program", queue.error());
    queue->put(message.header);
    if (auto st = copy_body(header, in, [&](std::string_view data) { queue->put(data); }); !st)
        temp_copy(st.error());
    queue->from(message.sender);
    for (auto const& recipient : recipients)
        queue->to(recipient);
    mta::QueueResult result = queue->close();
    if (result.ok())
        return mta::kExitOk;
    std::string text = result.text.empty() ? mta::queue_exit_text(result.exit_code) : result.text;
    if (text.empty())
        text = "Zqq temporary problem (#4.3.0)";
    mta::log::fatal(text[0] == 'D' ? mta::kExitPerm : mta::kExitTemp, text.substr(1));
}

} // namespace inject
