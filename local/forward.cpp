#include "forward.hpp"

#include "queue_client.hpp"

#include <cerrno>
#include <sys/stat.h>
#include <unistd.h>

namespace local {

namespace {

constexpr size_t kChunk = size_t { 64 } * 1024;

// qmail-local's qmeox(): does .qmail<dash><safeext><suffix> exist (any kind of file)?
Outcome<bool> owner_file_exists(Recipient const& r, std::string_view safeext, char const* suffix)
{
    std::string const name = ".qmail" + r.dash + std::string(safeext) + suffix;
    struct stat st;
    if (::stat(name.c_str(), &st) == 0)
        return true;
    if (mta::is_temporary(errno))
        return temp_dot_qmail(name, mta::Error::from_errno("unable to stat"));
    return false;
}

} // namespace

std::string new_sender(std::string_view sender, std::string_view local_part, std::string_view host,
    bool has_owner, bool has_owner_default)
{
    if (sender.empty() || sender == "#@[]" || !has_owner)
        return std::string(sender);
    std::string out(local_part);
    if (has_owner_default) {
        out += "-owner-@";
        out += host;
        out += "-@[]";
    } else {
        out += "-owner@";
        out += host;
    }
    return out;
}

Outcome<std::string> find_new_sender(Recipient const& r, std::string_view safeext)
{
    if (r.sender.empty() || r.sender == "#@[]")
        return r.sender;
    auto owner = owner_file_exists(r, safeext, "-owner");
    if (!owner)
        return owner.failure();
    bool owner_default = false;
    if (*owner) {
        auto found = owner_file_exists(r, safeext, "-owner-default");
        if (!found)
            return found.failure();
        owner_default = *found;
    }
    return new_sender(r.sender, r.local, r.host, *owner, owner_default);
}

Outcome<pid_t> forward_message(std::string const& root, std::string_view dtline, int message_fd,
    std::string_view sender, std::vector<std::string> const& recipients)
{
    if (::lseek(message_fd, 0, SEEK_SET) == -1)
        return temp_rewind(mta::Error::from_errno("unable to rewind"));
    auto queue = mta::QueueClient::open(root);
    if (!queue)
        return temp_fork(queue.error());
    pid_t const qp = queue->pid();
    queue->put(dtline);
    char buf[kChunk];
    for (;;) {
        ssize_t n = ::read(message_fd, buf, sizeof buf);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            return temp_read(mta::Error::from_errno("unable to read"));
        if (n == 0)
            break;
        queue->put(std::string_view(buf, static_cast<size_t>(n)));
    }
    queue->from(sender);
    for (auto const& recipient : recipients)
        queue->to(recipient);
    mta::QueueResult const result = queue->close();
    if (!result.ok())
        return forward_failed(result.text);
    return qp;
}

} // namespace local
