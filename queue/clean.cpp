#include "clean.hpp"

#include "buffer.hpp"
#include "exit_codes.hpp"
#include "fd.hpp"
#include "log.hpp"
#include "queue_paths.hpp"
#include "sweep.hpp"

#include <cerrno>
#include <unistd.h>

namespace queue {

namespace {

constexpr size_t kMinRequest = 6; // "foop/1", without the NUL
constexpr size_t kMaxRequest = 99;

// ENOENT counts as done: a request repeated after a crash must still succeed.
bool remove_file(std::string const& path)
{
    return ::unlink(path.c_str()) == 0 || errno == ENOENT;
}

} // namespace

std::optional<Request> parse_request(std::string_view text)
{
    if (text.size() < kMinRequest || text.size() > kMaxRequest)
        return std::nullopt;
    Request::Kind kind;
    if (text.substr(0, 5) == "foop/")
        kind = Request::Kind::foop;
    else if (text.substr(0, 5) == "todo/")
        kind = Request::Kind::todo;
    else
        return std::nullopt;
    auto number = mta::parse_message_number(text.substr(5));
    if (!number)
        return std::nullopt;
    return Request { kind, *number };
}

char perform(std::string const& queue_dir, Request const& request)
{
    // intd first in both cases, as qmail-clean: intd/K/N must never outlive the inode N
    // it is named after (a new message could get that number).
    std::string const base = queue_dir + "/";
    if (!remove_file(base + mta::hashed_path(mta::kIntdDir, request.number)))
        return kReplyFailed;
    // For todo/N the intd unlink must be durable before the todo unlink can be: after a
    // crash an intd/K/N without todo/K/N means "never committed" to the sweep, which
    // would then remove the mess file of this preprocessed message.
    if (request.kind == Request::Kind::todo
        && !mta::fsync_dir(base + mta::hashed_dir(mta::kIntdDir, request.number)))
        return kReplyFailed;
    std::string_view const other
        = request.kind == Request::Kind::foop ? mta::kMessDir : mta::kTodoDir;
    if (!remove_file(base + mta::hashed_path(other, request.number)))
        return kReplyFailed;
    return kReplyDone;
}

int serve(std::string const& queue_dir, int in_fd, int out_fd)
{
    mta::Reader in(in_fd);
    mta::Writer out(out_fd);
    std::string text;
    std::optional<time_t> last_sweep;
    for (unsigned until_sweep = 0;; --until_sweep) {
        if (until_sweep == 0) {
            time_t const now = ::time(nullptr);
            if (!last_sweep || now - *last_sweep >= kSweepInterval || now < *last_sweep) {
                (void)sweep(queue_dir, now, kSweepAge);
                last_sweep = now;
            }
            until_sweep = kSweepEvery + 1;
        }
        auto got = in.get_line(text, kMaxRequest, '\0');
        if (!got) {
            mta::log::warn("unable to read request", got.error());
            return mta::kExitTemp;
        }
        if (*got == mta::LineStatus::eof || *got == mta::LineStatus::partial)
            return mta::kExitOk; // send closed the pipe: it is shutting down
        char reply = kReplyBad;
        if (*got == mta::LineStatus::too_long) {
            if (auto st = in.skip_line('\0'); !st) {
                mta::log::warn("unable to read request", st.error());
                return mta::kExitTemp;
            }
        } else if (auto request = parse_request(text)) {
            reply = perform(queue_dir, *request);
        }
        if (auto st = out.put(std::string_view(&reply, 1)); !st || !(st = out.flush())) {
            mta::log::warn("unable to write reply", st.error());
            return mta::kExitTemp;
        }
    }
}

} // namespace queue
