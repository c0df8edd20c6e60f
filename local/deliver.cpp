#include "deliver.hpp"

#include "forward.hpp"
#include "headers.hpp"
#include "install_root.hpp"
#include "maildir.hpp"
#include "mbox.hpp"
#include "option_scan.hpp"
#include "program.hpp"

#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

namespace local {

namespace {

// Options -n and -N (also combined, "-nN"), up to "--" or the first other argument.
Outcome<int> parse_options(int argc, char const* const* argv, bool& doit)
{
    int i = 1;
    for (; mta::at_option_cluster(argc, argv, i); ++i) {
        for (char c : std::string_view(argv[i]).substr(1)) {
            if (c == 'n')
                doit = false;
            else if (c == 'N')
                doit = true;
            else
                return perm_usage();
        }
    }
    return i;
}

struct Runner {
    Args const& args;
    AddedLines const& lines;
    Plan const& plan;
    int message_fd;
    std::optional<mta::EnvBuilder> env; // made for the first program

    Outcome<ProgramVerdict> program(std::string const& command)
    {
        if (!env) {
            auto made
                = delivery_environment(args.recipient, lines, plan.new_sender, plan.default_part);
            if (!made)
                return made.failure();
            env = std::move(*made);
        }
        return run_program(command, env->entries(), message_fd);
    }

    // One file or program instruction; stop is set by a program exiting 99.
    Fail run(Instruction const& i, bool& stop)
    {
        std::string const head = lines.rpline + lines.dtline;
        switch (i.kind) {
        case Kind::maildir:
            return deliver_maildir(i.text, head, message_fd);
        case Kind::mbox:
            return deliver_mbox(i.text, lines.ufline, head, message_fd, kMboxLockSeconds);
        case Kind::program: {
            auto verdict = program(i.text);
            if (!verdict)
                return verdict.failure();
            if (*verdict == ProgramVerdict::permanent)
                return perm_program();
            if (*verdict == ProgramVerdict::temporary)
                return temp_program();
            stop = *verdict == ProgramVerdict::stop;
            return std::nullopt;
        }
        case Kind::forward:
            break;
        }
        return std::nullopt;
    }
};

char const* describe(Kind kind)
{
    switch (kind) {
    case Kind::maildir:
        return "maildir ";
    case Kind::mbox:
        return "mbox ";
    case Kind::program:
        return "program ";
    case Kind::forward:
        break;
    }
    return "forward ";
}

} // namespace

Outcome<Args> parse_args(int argc, char const* const* argv)
{
    Args args;
    auto first = parse_options(argc, argv, args.doit);
    if (!first)
        return first.failure();
    if (argc - *first != 8)
        return perm_usage();
    char const* const* p = argv + *first;
    Recipient& r = args.recipient;
    for (std::string* field :
        { &r.user, &r.home, &r.local, &r.dash, &r.ext, &r.host, &r.sender, &r.default_delivery })
        *field = *p++;
    if (r.home.empty() || r.home[0] != '/')
        return perm_usage();
    return args;
}

Outcome<bool> enter_home(Recipient const& r, bool doit)
{
    if (::chdir(r.home.c_str()) == -1)
        return temp_chdir_home(r.home, mta::Error::from_errno("unable to chdir"));
    struct stat st;
    if (::stat(".", &st) == -1)
        return temp_stat_home(mta::Error::from_errno("unable to stat"));
    if (st.st_mode & S_IWOTH)
        return temp_home_writable();
    if (st.st_mode & S_ISVTX) {
        if (doit)
            return temp_home_sticky();
        return true;
    }
    return false;
}

AddedLines added_lines(Recipient const& r, time_t now)
{
    return { return_path_line(r.sender), delivered_to_line(r.local, r.host),
        from_line(r.sender, now) };
}

Fail check_message(int message_fd, std::string_view dtline)
{
    if (::lseek(message_fd, 0, SEEK_SET) == -1)
        return temp_rewind(mta::Error::from_errno("unable to rewind"));
    auto looping = has_line_in_header(message_fd, dtline);
    if (!looping)
        return looping.failure();
    if (*looping)
        return perm_loop();
    return std::nullopt;
}

Outcome<Plan> choose_instructions(Recipient const& r)
{
    Plan plan;
    plan.safeext = safe_extension(r.ext);
    auto found = find_dot_qmail(r.dash, r.ext);
    if (!found)
        return found.failure();
    if (!*found && !r.dash.empty())
        return perm_no_mailbox();
    auto sender = find_new_sender(r, plan.safeext);
    if (!sender)
        return sender.failure();
    plan.new_sender = std::move(*sender);
    bool const use_default = !*found || (*found)->content.empty();
    if (*found)
        plan.default_part = (*found)->default_part;
    auto parsed = use_default ? parse_dot_qmail(r.default_delivery, false)
                              : parse_dot_qmail((*found)->content, (*found)->forward_only);
    if (!parsed)
        return parsed.failure();
    plan.instructions = std::move(*parsed);
    return plan;
}

Outcome<Counts> execute(
    Args const& args, AddedLines const& lines, Plan const& plan, int message_fd, std::string& said)
{
    Counts counts;
    std::vector<std::string> forwards;
    Runner runner { args, lines, plan, message_fd, std::nullopt };
    for (auto const& i : plan.instructions) {
        if (i.kind == Kind::forward) {
            ++counts.forwards;
            forwards.push_back(i.text);
        } else {
            ++(i.kind == Kind::program ? counts.programs : counts.files);
        }
        if (!args.doit) {
            said += describe(i.kind) + i.text + "\n";
            continue;
        }
        bool stop = false;
        if (Fail f = runner.run(i, stop))
            return *f;
        if (stop)
            break;
    }
    if (!args.doit || forwards.empty())
        return counts;
    auto root = mta::install_root();
    if (!root)
        return temp_error("Unable to find the install root", root.error());
    auto qp = forward_message(*root, lines.dtline, message_fd, plan.new_sender, forwards);
    if (!qp)
        return qp.failure();
    counts.qp = *qp;
    return counts;
}

std::string report(Counts const& counts)
{
    std::string out = "did " + std::to_string(counts.files) + "+" + std::to_string(counts.forwards)
        + "+" + std::to_string(counts.programs) + "\n";
    if (counts.qp > 0)
        out += "qp " + std::to_string(counts.qp) + "\n";
    return out;
}

} // namespace local
