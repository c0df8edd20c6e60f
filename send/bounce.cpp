#include "bounce.hpp"

#include "dsn.hpp"
#include "fd.hpp"
#include "queue_client.hpp"
#include "queue_paths.hpp"
#include "rewrite.hpp"

#include <sys/stat.h>
#include <unistd.h>

namespace send {

namespace {

constexpr size_t kMaxBounceFile = size_t { 16 } * 1024 * 1024; // reports beyond this are left out
constexpr size_t kMaxHeaderBytes = size_t { 64 } * 1024; // of a message too big to go back whole
constexpr std::string_view kDoubleBounceSender = "#@[]";

// At most max bytes from the start of a file.
mta::Result<std::string> read_prefix(std::string const& path, size_t max)
{
    auto fd = mta::open_read(path);
    if (!fd)
        return fd.error();
    std::string out;
    char buf[65536];
    while (out.size() < max) {
        ssize_t n = ::read(fd->get(), buf, std::min(sizeof buf, max - out.size()));
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            return mta::Error::from_errno("unable to read");
        if (n == 0)
            break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

struct Original {
    std::string text;
    bool headers_only = false;
};

// mess/N whole, or the header of a big one.
mta::Result<Original> read_original(unsigned long id)
{
    std::string const path = mta::hashed_path(mta::kMessDir, id);
    struct stat st;
    if (::stat(path.c_str(), &st) == -1)
        return mta::Error::from_errno("unable to stat");
    Original out;
    out.headers_only = static_cast<size_t>(st.st_size) > kMaxReturnedMessage;
    auto text = read_prefix(path, out.headers_only ? kMaxHeaderBytes : kMaxReturnedMessage);
    if (!text)
        return text.error();
    out.text = std::move(*text);
    if (out.headers_only) {
        out.text = std::string(header_section(out.text));
        if (!out.text.ends_with('\n')) // a header bigger than the limit: whole lines only
            out.text.resize(
                out.text.rfind('\n') == std::string::npos ? 0 : out.text.rfind('\n') + 1);
    }
    return out;
}

// Why a bounce is dropped rather than sent; nullptr when it is sent.
char const* discard_reason(std::string const& sender, Config const& config)
{
    if (sender == kDoubleBounceSender)
        return "triple bounce";
    if (sender.empty() && config.doublebounceto.empty())
        return "double bounce";
    return nullptr;
}

// The DSN of message id to sender (empty: a double bounce to doublebounceto).
Dsn make_dsn(Config const& config, unsigned long id, time_t now, Info const& info,
    std::string const& sender, std::string const& reports, Original const& original)
{
    Dsn dsn;
    dsn.reporting_host = config.bouncehost;
    dsn.from = config.bouncefrom + "@" + config.bouncehost;
    dsn.to = sender.empty() ? config.doublebounceto + "@" + config.doublebouncehost : sender;
    dsn.return_path = info.sender;
    dsn.double_bounce = sender.empty();
    dsn.now = now;
    dsn.arrival = info.birth;
    dsn.message_id = number(static_cast<unsigned long>(now)) + "."
        + number(static_cast<unsigned long>(::getpid())) + "." + number(id) + ".bounce@"
        + config.bouncehost;
    dsn.failed = parse_bounce_paragraphs(reports);
    dsn.original = original.text;
    dsn.headers_only = original.headers_only;
    return dsn;
}

// The DSN through the queue program, and its log line; false after a warning.
bool queue_dsn(std::string const& root, Dsn const& dsn, std::string const& sender, unsigned long id,
    ActivityLog& log)
{
    auto queue = mta::QueueClient::open(root);
    if (!queue) {
        log.line("warning: unable to start the queue program, will try later");
        return false;
    }
    pid_t const qp = queue->pid();
    queue->put(compose_dsn(dsn));
    queue->from(sender.empty() ? kDoubleBounceSender : "");
    queue->to(dsn.to);
    mta::QueueResult result = queue->close();
    if (!result.ok()) {
        log.line("warning: trouble injecting bounce message, will try later: "
            + log_safe(result.text.empty() ? "" : result.text.substr(1)));
        return false;
    }
    log.line("bounce msg " + number(id) + " qp " + number(static_cast<unsigned long>(qp)));
    return true;
}

} // namespace

bool inject_bounce(
    std::string const& root, Config const& config, unsigned long id, time_t now, ActivityLog& log)
{
    std::string const bounce = mta::flat_path(mta::kBounceDir, id);
    struct stat st;
    if (::stat(bounce.c_str(), &st) == -1) {
        if (errno == ENOENT)
            return true;
        log.line("warning: unable to stat " + bounce);
        return false;
    }
    auto info = read_info(id);
    if (!info) {
        log.line("warning: trouble reading " + mta::hashed_path(mta::kInfoDir, id) + ": "
            + info.error().text());
        return false;
    }
    std::string const sender = bounce_recipient(info->sender);
    if (char const* why = discard_reason(sender, config)) {
        log.line(std::string(why) + ": discarding " + bounce);
        return remove_or_warn(bounce, log);
    }
    auto reports = read_prefix(bounce, kMaxBounceFile);
    auto original = read_original(id);
    if (!reports || !original) {
        log.line("warning: trouble reading "
            + (reports ? mta::hashed_path(mta::kMessDir, id) : bounce) + ": "
            + (reports ? original.error() : reports.error()).text());
        return false;
    }
    Dsn const dsn = make_dsn(config, id, now, *info, sender, *reports, *original);
    if (!queue_dsn(root, dsn, sender, id, log))
        return false;
    return remove_or_warn(bounce, log);
}

} // namespace send
