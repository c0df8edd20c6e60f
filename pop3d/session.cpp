// The session: the TRANSACTION state as the mailbox owner, and the checker's report.
#include "processes.hpp"

#include "buffer.hpp"
#include "command.hpp"
#include "exit_codes.hpp"
#include "fd.hpp"
#include "log.hpp"
#include "maildrop.hpp"
#include "process.hpp"

#include <cstdlib>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace pop3d {

namespace {

[[noreturn]] void refuse(mta::Writer& out, std::string const& text)
{
    (void)out.put(text);
    (void)out.flush();
    _exit(mta::kExitOk);
}

} // namespace

int run_session(std::string const& maildir, std::string const& login)
{
    mta::ignore_sigpipe();
    mta::Reader in(0, kIdleTimeoutMs);
    // No write timeout: the front always reads this socket, and when the client stops
    // reading, the front's own timeout ends it and this side gets EPIPE. Without a
    // timeout, the Writer sends its whole buffer in one write instead of 4 KiB pieces.
    mta::Writer out(1);
    if (::getuid() == 0)
        refuse(out, "-ERR [SYS/PERM] mailboxes of root are not served\r\n");
    if (::chdir(maildir.c_str()) == -1)
        refuse(out, "-ERR [SYS/PERM] this user has no Maildir\r\n");
    // One session per mailbox: an exclusive lock on the Maildir directory itself.
    int lock = ::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lock == -1)
        refuse(out, "-ERR [SYS/TEMP] unable to open the Maildir\r\n");
    if (::flock(lock, LOCK_EX | LOCK_NB) == -1)
        refuse(out,
            errno == EWOULDBLOCK
                ? "-ERR [IN-USE] this mailbox is in use by another POP3 session\r\n"
                : "-ERR [SYS/TEMP] unable to lock the Maildir\r\n");
    auto messages = scan_maildir(".");
    if (!messages)
        refuse(out, "-ERR [SYS/TEMP] unable to read the Maildir\r\n");
    Maildrop drop(".", std::move(*messages), out);
    if (!out.put(drop.greeting()) || !out.flush())
        return mta::kExitOk;
    (void)login;
    std::string line;
    for (;;) {
        auto got = in.get_line(line, kMaxLineBytes);
        if (!got) {
            if (got.error().errnum == ETIMEDOUT)
                (void)out.put("-ERR autologout: idle for too long\r\n");
            (void)out.flush();
            return mta::kExitOk; // nothing deleted
        }
        if (*got == mta::LineStatus::eof || *got == mta::LineStatus::partial)
            return mta::kExitOk;
        if (*got == mta::LineStatus::too_long) {
            if (!in.skip_line() || !out.put("-ERR line too long\r\n"))
                return mta::kExitOk;
        } else {
            auto more = drop.handle_line(line);
            if (!more)
                return mta::kExitOk;
            if (!*more) {
                (void)out.flush();
                return mta::kExitOk;
            }
        }
        if (!in.has_buffered() && !out.flush())
            return mta::kExitOk;
    }
}

int run_report()
{
    const char* user = std::getenv("USER");
    const char* home = std::getenv("HOME");
    if (!user || !home)
        return mta::kExitTemp;
    std::string out = std::string(user) + '\0' + home + '\0';
    return mta::write_all(1, out) ? mta::kExitOk : mta::kExitTemp;
}

} // namespace pop3d
