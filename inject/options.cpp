#include "options.hpp"

#include "control.hpp"
#include "option_scan.hpp"

namespace inject {

namespace {

const char kUsageError[] = "usage";

std::optional<std::string> first_set(EnvLookup const& env, std::initializer_list<char const*> names)
{
    for (char const* name : names) {
        if (auto value = env(name))
            return std::string(*value);
    }
    return std::nullopt;
}

// One control file with qmail's fallbacks: the file, else me, else the file's name.
mta::Status load_control(std::string const& root, char const* name, char const* env_name,
    EnvLookup const& env, std::optional<std::string> const& me, std::string& out,
    ControlError& error)
{
    if (auto value = env(env_name)) {
        out = std::string(*value);
        return {};
    }
    std::string path = root + "/control/" + name;
    auto line = mta::control::read_line(path);
    if (!line) {
        error = { path, line.error() };
        return line.error();
    }
    out = line->value_or(me.value_or(name));
    return {};
}

// A letter that takes no value; false for one we do not know.
bool set_flag(char c, Options& options)
{
    switch (c) {
    case 'n':
        options.print = true;
        return true;
    case 'N':
        options.print = false;
        return true;
    case 'a':
        options.recipients = Recipients::args;
        return true;
    case 'A':
        options.recipients = Recipients::args_or_header;
        return true;
    case 'h':
        options.recipients = Recipients::header;
        return true;
    case 'H':
        options.recipients = Recipients::both;
        return true;
    default:
        return false;
    }
}

// One cluster at argv[i], such as "-nA" or "-fsender". The value of -f or -F is the rest
// of the cluster or, when that is empty, the next argument (i then moves on to it).
mta::Status parse_cluster(int argc, char* const* argv, int& i, Options& options)
{
    std::string_view const arg = argv[i];
    for (std::size_t j = 1; j < arg.size(); ++j) {
        char const c = arg[j];
        if (c == 'f' || c == 'F') {
            std::string value;
            if (j + 1 < arg.size())
                value = std::string(arg.substr(j + 1));
            else if (i + 1 < argc)
                value = argv[++i];
            else
                return mta::Error::plain(kUsageError);
            (c == 'f' ? options.sender : options.name) = std::move(value);
            return {};
        }
        if (!set_flag(c, options))
            return mta::Error::plain(kUsageError);
    }
    return {};
}

} // namespace

mta::Result<Options> parse_options(int argc, char* const* argv)
{
    Options options;
    int i = 1;
    for (; mta::at_option_cluster(argc, argv, i); ++i) {
        if (auto st = parse_cluster(argc, argv, i, options); !st)
            return st.error();
    }
    for (; i < argc; ++i)
        options.args.emplace_back(argv[i]);
    return options;
}

bool uses_header_recipients(Options const& options)
{
    switch (options.recipients) {
    case Recipients::args_or_header:
        return options.args.empty();
    case Recipients::args:
        return false;
    default:
        return true;
    }
}

bool uses_argument_recipients(Options const& options)
{
    return options.recipients != Recipients::header;
}

Flags parse_flags(std::string_view letters)
{
    Flags flags;
    for (char c : letters) {
        switch (c) {
        case 'c':
            flags.name_comment = true;
            break;
        case 's':
            flags.delete_return_path = true;
            break;
        case 'f':
            flags.delete_from = true;
            break;
        case 'i':
            flags.delete_message_id = true;
            break;
        case 'r':
            flags.verp_recipient = true;
            break;
        case 'm':
            flags.verp_message = true;
            break;
        default: // qmail ignores letters it does not know
            break;
        }
    }
    return flags;
}

Identity identity_from(EnvLookup const& env, std::optional<std::string> const& name)
{
    Identity id;
    id.user = first_set(env, { "QMAILUSER", "MAILUSER", "USER", "LOGNAME" }).value_or("anonymous");
    id.host = first_set(env, { "QMAILHOST", "MAILHOST" });
    id.name = name ? name : first_set(env, { "QMAILNAME", "MAILNAME", "NAME" });
    id.sender_user = first_set(env, { "QMAILSUSER" }).value_or(id.user);
    id.sender_host = first_set(env, { "QMAILSHOST" });
    if (!id.sender_host)
        id.sender_host = id.host;
    return id;
}

std::variant<Controls, ControlError> load_controls(std::string const& root, EnvLookup const& env)
{
    ControlError error;
    auto me = mta::control::read_line(root + "/control/me");
    if (!me)
        return ControlError { root + "/control/me", me.error() };
    Controls c;
    if (!load_control(root, "defaulthost", "QMAILDEFAULTHOST", env, *me, c.defaulthost, error)
        || !load_control(
            root, "defaultdomain", "QMAILDEFAULTDOMAIN", env, *me, c.defaultdomain, error)
        || !load_control(root, "plusdomain", "QMAILPLUSDOMAIN", env, *me, c.plusdomain, error)
        || !load_control(root, "idhost", "QMAILIDHOST", env, *me, c.idhost, error))
        return error;
    return c;
}

mta::Result<std::vector<std::string>> load_followup_lists(EnvLookup const& env)
{
    auto path = env("QMAILMFTFILE");
    if (!path)
        return std::vector<std::string> {};
    auto lines = mta::control::read_lines(std::string(*path));
    if (!lines)
        return lines.error();
    return lines->value_or(std::vector<std::string> {});
}

} // namespace inject
