#include "options.hpp"

namespace sendmail {

namespace {

// Options that take an argument: the rest of the word, else the next word.
constexpr std::string_view kWithArgument = "BFbefop";
// Options that are accepted and ignored (flags without an argument).
constexpr std::string_view kIgnoredFlags = "imvx";

Plan usage(std::string problem)
{
    Plan plan;
    plan.action = Action::usage;
    plan.problem = std::move(problem);
    return plan;
}

Plan just(Action action, std::string problem = {})
{
    Plan plan;
    plan.action = action;
    plan.problem = std::move(problem);
    return plan;
}

// "<a@b>" -> "a@b"; anything else unchanged.
std::string strip_brackets(std::string const& sender)
{
    if (sender.size() >= 2 && sender.front() == '<' && sender.back() == '>')
        return sender.substr(1, sender.size() - 2);
    return sender;
}

// qmail's do_sender: forget the caller's name and host, then take user and host from
// the sender (split at the last '@'; without one the whole sender is the user). The null
// sender names nobody, so it changes nothing: a From line that inject adds names the
// caller, as Postfix and sendmail do (qmail set QMAILUSER="" and got From: <""@host>).
void sender_env(std::string const& sender, std::vector<EnvChange>& env)
{
    if (sender.empty())
        return;
    for (const char* name : { "QMAILNAME", "MAILNAME", "NAME", "QMAILHOST", "MAILHOST" })
        env.push_back({ name, std::nullopt });
    auto at = sender.rfind('@');
    if (at == std::string::npos) {
        env.push_back({ "QMAILUSER", sender });
        return;
    }
    env.push_back({ "QMAILHOST", sender.substr(at + 1) });
    env.push_back({ "QMAILUSER", sender.substr(0, at) });
}

struct Options {
    bool header_recipients = false; // -t
    std::optional<std::string> sender; // -f
    std::optional<std::string> name; // -F
};

// One option that takes an argument. Returns a Plan when the option decides the outcome.
std::optional<Plan> take_argument(char option, std::string const& value, Options& options)
{
    switch (option) {
    case 'f':
        options.sender = strip_brackets(value);
        break;
    case 'F':
        options.name = value;
        break;
    case 'b':
        if (value.starts_with('m'))
            break;
        if (value.starts_with('p'))
            return just(Action::list_queue);
        if (value.starts_with('s'))
            return just(Action::smtp);
        return usage("unknown mode -b" + value);
    default: // -B type, -e mode, -o option, -p protocol: qmail has one way of each
        break;
    }
    return std::nullopt;
}

Plan inject_plan(Options const& options, std::vector<std::string> const& args, size_t first)
{
    Plan plan;
    plan.inject_args.push_back(options.header_recipients ? "-H" : "-a");
    if (options.sender) {
        plan.inject_args.push_back("-f");
        plan.inject_args.push_back(*options.sender);
        sender_env(*options.sender, plan.env);
    }
    if (options.name) {
        plan.env.push_back({ "QMAILNAME", std::nullopt });
        plan.env.push_back({ "MAILNAME", *options.name });
    }
    plan.inject_args.push_back("--");
    plan.inject_args.insert(plan.inject_args.end(), args.begin() + long(first), args.end());
    return plan;
}

} // namespace

Plan parse(std::string_view invoked_as, std::vector<std::string> const& args)
{
    Options options;
    size_t i = 0;
    while (i < args.size()) {
        std::string const& word = args[i];
        if (word.size() < 2 || word[0] != '-')
            break; // a recipient, or a lone "-"
        ++i;
        if (word == "--")
            break;
        if (word[1] == '-')
            return usage("unknown option " + word);
        for (size_t pos = 1; pos < word.size(); ++pos) {
            char const c = word[pos];
            if (c == 't') {
                options.header_recipients = true;
            } else if (c == 'E' || c == 'J') {
                break; // an optional argument, attached: the rest of the word
            } else if (kWithArgument.find(c) != std::string_view::npos) {
                std::string value;
                if (pos + 1 < word.size())
                    value = word.substr(pos + 1);
                else if (i < args.size())
                    value = args[i++];
                else
                    return usage(std::string("option -") + c + " needs an argument");
                if (auto decided = take_argument(c, value, options))
                    return *decided;
                break;
            } else if (kIgnoredFlags.find(c) == std::string_view::npos) {
                return usage(std::string("unknown option -") + c);
            }
        }
    }
    if (invoked_as == "mailq")
        return just(Action::list_queue);
    if (invoked_as == "newaliases")
        return just(Action::newaliases);
    return inject_plan(options, args, i);
}

std::string_view invoked_as(std::string_view argv0)
{
    auto slash = argv0.rfind('/');
    return slash == std::string_view::npos ? argv0 : argv0.substr(slash + 1);
}

mta::Status apply_env(std::vector<EnvChange> const& changes, mta::EnvBuilder& env)
{
    for (auto const& change : changes) {
        if (!change.value) {
            env.unset(change.name);
            continue;
        }
        if (auto st = env.set(change.name, *change.value); !st)
            return st;
    }
    return {};
}

} // namespace sendmail
