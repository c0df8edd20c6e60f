#include "failure.hpp"

#include "exit_codes.hpp"

#include <cstring>

namespace local {

namespace {

Failure temp(std::string text)
{
    return { mta::kExitTemp, std::move(text) };
}

Failure perm(std::string text)
{
    return { mta::kExitPerm, std::move(text) };
}

// strerror for system errors, the static text otherwise (a refusal by safe_open, a limit).
std::string reason(mta::Error error)
{
    if (error.errnum == 0)
        return error.what;
    return std::strerror(error.errnum);
}

} // namespace

Failure temp_error(std::string_view text, mta::Error error, std::string_view code)
{
    std::string out(text);
    out += ": ";
    out += reason(error);
    out += ". (#";
    out += code;
    out += ')';
    return temp(std::move(out));
}

Failure perm_usage()
{
    return perm("local: usage: local [-nN] user homedir local dash ext domain sender "
                "defaultdelivery");
}

Failure temp_nomem()
{
    return temp("Out of memory. (#4.3.0)");
}

Failure temp_rewind(mta::Error error)
{
    if (error.errnum == ESPIPE)
        return temp("Unable to rewind message: standard input is not a seekable file; local "
                    "reads the message once per instruction and needs it in a file. (#4.3.0)");
    return temp_error("Unable to rewind message", error);
}

Failure temp_read(mta::Error error)
{
    return temp_error("Unable to read message", error);
}

Failure temp_fork(mta::Error error)
{
    return temp_error("Unable to fork", error);
}

Failure temp_child_crashed()
{
    return temp("Aack, child crashed. (#4.3.0)");
}

Failure temp_chdir_home(std::string_view home, mta::Error error)
{
    return temp_error("Unable to switch to " + std::string(home), error);
}

Failure temp_stat_home(mta::Error error)
{
    return temp_error("Unable to stat home directory", error);
}

Failure temp_home_writable()
{
    return temp("Uh-oh: home directory is writable. (#4.7.0)");
}

Failure temp_home_sticky()
{
    return temp("Home directory is sticky: user is editing his .qmail file. (#4.2.1)");
}

Failure perm_loop()
{
    return perm("This message is looping: it already has my Delivered-To line. (#5.4.6)");
}

Failure temp_dot_qmail(std::string_view name, mta::Error error)
{
    return temp_error("Unable to open " + std::string(name), error);
}

Failure temp_dot_qmail_writable()
{
    return temp("Uh-oh: .qmail file is writable. (#4.7.0)");
}

Failure perm_no_mailbox()
{
    return perm("Sorry, no mailbox here by that name. (#5.1.1)");
}

Failure temp_blank_first_line()
{
    return temp("Uh-oh: first line of .qmail file is blank. (#4.2.1)");
}

Failure temp_forward_only(bool program)
{
    if (program)
        return temp("Uh-oh: .qmail has prog delivery but has x bit set. (#4.7.0)");
    return temp("Uh-oh: .qmail has file delivery but has x bit set. (#4.7.0)");
}

Failure temp_bad_line(size_t line, std::string_view why)
{
    return temp("Uh-oh: line " + std::to_string(line) + " of the .qmail file: " + std::string(why)
        + ". (#4.2.1)");
}

Failure temp_dot_qmail_too_big()
{
    return temp("Uh-oh: .qmail file is too big. (#4.2.1)");
}

Failure temp_maildir_chdir()
{
    return temp("Unable to chdir to maildir. (#4.2.1)");
}

Failure temp_maildir(std::string_view dir, mta::Error error)
{
    return temp("Temporary error on maildir delivery to " + std::string(dir) + ": " + error.text()
        + ". (#4.3.0)");
}

Failure temp_mbox_open(std::string_view path, mta::Error error)
{
    return temp_error("Unable to open " + std::string(path), error, "4.2.1");
}

Failure temp_mbox_write(std::string_view path, mta::Error error)
{
    return temp_error("Unable to write " + std::string(path), error);
}

Failure temp_slowlock()
{
    return temp("File has been locked for 30 seconds straight. (#4.3.0)");
}

// A program's own output already explains its failure; qmail-local adds nothing.
Failure temp_program()
{
    return temp("");
}

Failure perm_program()
{
    return perm("");
}

Failure forward_failed(std::string_view qq_text)
{
    int const code = !qq_text.empty() && qq_text[0] == 'D' ? mta::kExitPerm : mta::kExitTemp;
    std::string_view const rest = qq_text.empty() ? qq_text : qq_text.substr(1);
    return { code, "Unable to forward message: " + std::string(rest) + "." };
}

Failure temp_environment(mta::Error error)
{
    return temp_error("Unable to set up the environment", error);
}

} // namespace local
