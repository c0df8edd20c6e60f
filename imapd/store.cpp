#include "store.hpp"

#include "fd.hpp"
#include "parser.hpp"

#include <algorithm>
#include <cerrno>
#include <dirent.h>
#include <filesystem>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace imapd {

namespace {

constexpr char kSubscriptions[] = "/imapd.subscriptions";
constexpr char kSpecialMade[] = "/imapd.special-use";
constexpr char const* kSpecial[][2] = { { "Drafts", "\\Drafts" }, { "Sent", "\\Sent" },
    { "Trash", "\\Trash" }, { "Junk", "\\Junk" }, { "Archive", "\\Archive" } };

bool is_inbox(std::string_view name)
{
    return name.size() == 5 && (name[0] | 0x20) == 'i' && (name[1] | 0x20) == 'n'
        && (name[2] | 0x20) == 'b' && (name[3] | 0x20) == 'o' && (name[4] | 0x20) == 'x';
}

bool is_dir(std::string const& path)
{
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

mta::Status make_dir(std::string const& path)
{
    if (::mkdir(path.c_str(), 0700) == -1)
        return mta::Error::from_errno("unable to create folder");
    return {};
}

} // namespace

std::string Store::canonical(std::string const& name)
{
    return is_inbox(name) ? std::string("INBOX") : name;
}

std::optional<std::string> Store::dir_of(std::string const& name) const
{
    if (is_inbox(name))
        return m_root;
    if (!valid_mailbox_name(name))
        return std::nullopt;
    return m_root + "/." + name;
}

bool Store::exists(std::string const& name) const
{
    auto dir = dir_of(name);
    return dir && is_dir(*dir + "/cur");
}

mta::Status Store::create(std::string const& name)
{
    auto dir = dir_of(name);
    if (!dir)
        return mta::Error { EINVAL, "invalid mailbox name" };
    if (is_inbox(name) || exists(name))
        return mta::Error { EEXIST, "mailbox exists" };
    if (auto st = make_dir(*dir); !st && st.error().errnum != EEXIST)
        return st;
    for (char const* sub : { "/tmp", "/new", "/cur" })
        if (auto st = make_dir(*dir + sub); !st && st.error().errnum != EEXIST)
            return st;
    auto marker = mta::open_trunc(*dir + "/maildirfolder", 0600);
    if (!marker)
        return marker.error();
    return mta::fsync_dir(m_root);
}

mta::Status Store::remove(std::string const& name)
{
    if (is_inbox(name))
        return mta::Error { EPERM, "INBOX cannot be deleted" };
    if (!exists(name))
        return mta::Error { ENOENT, "no such mailbox" };
    std::error_code ec;
    std::filesystem::remove_all(*dir_of(name), ec);
    if (ec)
        return mta::Error { ec.value(), "unable to delete folder" };
    (void)subscribe(name, false);
    return {};
}

mta::Status Store::rename(std::string const& from, std::string const& to)
{
    if (!exists(from))
        return mta::Error { ENOENT, "no such mailbox" };
    if (is_inbox(to) || exists(to))
        return mta::Error { EEXIST, "mailbox exists" };
    if (!dir_of(to))
        return mta::Error { EINVAL, "invalid mailbox name" };
    if (is_inbox(from)) {
        // RFC 3501 6.3.5: the messages move to the new mailbox, INBOX stays (empty).
        if (auto st = create(to); !st)
            return st;
        for (char const* sub : { "/new/", "/cur/" }) {
            auto names = mta::list_directory(m_root + sub);
            if (!names)
                return names.error();
            for (auto const& n : *names)
                if (n[0] != '.'
                    && ::rename((m_root + sub + n).c_str(), (*dir_of(to) + sub + n).c_str()) == -1)
                    return mta::Error::from_errno("unable to move message");
        }
        return {};
    }
    // The folder and every folder below it.
    std::string const prefix = from + ".";
    for (auto const& n : folder_names()) {
        if (n != from && n.compare(0, prefix.size(), prefix) != 0)
            continue;
        std::string const target = to + n.substr(from.size());
        if (::rename((m_root + "/." + n).c_str(), (m_root + "/." + target).c_str()) == -1)
            return mta::Error::from_errno("unable to rename folder");
    }
    return mta::fsync_dir(m_root);
}

std::vector<std::string> Store::folder_names() const
{
    std::vector<std::string> out;
    DIR* d = ::opendir(m_root.c_str());
    if (!d)
        return out;
    while (struct dirent* e = ::readdir(d)) {
        std::string_view n = e->d_name;
        if (n.size() < 2 || n[0] != '.' || n == "..")
            continue;
        std::string name(n.substr(1));
        if (valid_mailbox_name(name) && is_dir(m_root + "/" + std::string(n) + "/cur"))
            out.push_back(std::move(name));
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

bool list_match(std::string_view name, std::string_view pattern)
{
    // match[j] = name[0, i) matches pattern[0, j), row by row over the name.
    std::vector<char> match(pattern.size() + 1, 0);
    std::vector<char> next(pattern.size() + 1, 0);
    match[0] = 1;
    for (size_t j = 0; j < pattern.size() && (pattern[j] == '*' || pattern[j] == '%'); ++j)
        match[j + 1] = 1;
    for (size_t i = 0; i < name.size(); ++i) {
        next[0] = 0;
        for (size_t j = 0; j < pattern.size(); ++j) {
            char p = pattern[j];
            if (p == '*' || (p == '%' && name[i] != '.'))
                next[j + 1] = match[j + 1] || next[j] || match[j];
            else if (p == '%')
                next[j + 1] = next[j];
            else
                next[j + 1] = match[j] && p == name[i];
        }
        std::swap(match, next);
    }
    return match[pattern.size()] != 0;
}

std::string special_use(std::string_view name)
{
    for (auto const& s : kSpecial)
        if (name == s[0])
            return s[1];
    return {};
}

std::vector<ListEntry> Store::list(std::string const& reference, std::string const& pattern) const
{
    std::string full = reference + pattern;
    if (full.size() > 1000)
        return {};
    std::vector<std::string> names = folder_names();
    std::set<std::string> real(names.begin(), names.end());
    std::set<std::string> all(real);
    for (auto const& n : names) // parents that are not folders themselves
        for (size_t dot = n.find('.'); dot != std::string::npos; dot = n.find('.', dot + 1))
            all.insert(n.substr(0, dot));
    std::vector<ListEntry> out;
    // INBOX matches case-insensitively.
    std::string inbox_pattern = full;
    if (inbox_pattern.size() >= 5 && is_inbox(inbox_pattern.substr(0, 5)))
        inbox_pattern.replace(0, 5, "INBOX");
    if (list_match("INBOX", inbox_pattern)) {
        auto it = all.lower_bound("INBOX.");
        bool const children = it != all.end() && it->rfind("INBOX.", 0) == 0;
        out.push_back({ "INBOX", children ? "\\HasChildren" : "\\HasNoChildren" });
    }
    for (auto const& n : all) {
        if (!list_match(n, full))
            continue;
        bool children = false;
        auto it = all.upper_bound(n);
        children = it != all.end() && it->compare(0, n.size() + 1, n + ".") == 0;
        std::string attrs = real.count(n) ? "" : "\\Noselect ";
        attrs += children ? "\\HasChildren" : "\\HasNoChildren";
        if (auto use = special_use(n); !use.empty())
            attrs += " " + use;
        out.push_back({ n, attrs });
    }
    return out;
}

std::vector<std::string> Store::subscriptions() const
{
    std::vector<std::string> out;
    auto text = mta::read_file(m_root + kSubscriptions, size_t { 1024 } * 1024);
    if (!text)
        return out;
    size_t pos = 0;
    while (pos < text->size()) {
        size_t nl = text->find('\n', pos);
        if (nl == std::string::npos)
            nl = text->size();
        if (nl > pos)
            out.push_back(text->substr(pos, nl - pos));
        pos = nl + 1;
    }
    return out;
}

mta::Status Store::subscribe(std::string const& name, bool on)
{
    auto names = subscriptions();
    std::string const n = canonical(name);
    auto it = std::find(names.begin(), names.end(), n);
    if (on == (it != names.end()))
        return {};
    if (on)
        names.push_back(n);
    else
        names.erase(it);
    std::string text;
    for (auto const& s : names)
        text += s + '\n';
    return mta::write_file_atomic(m_root + kSubscriptions, text, 0600);
}

mta::Status Store::make_special_folders()
{
    struct stat st;
    if (::stat((m_root + kSpecialMade).c_str(), &st) == 0)
        return {};
    for (auto const& s : kSpecial) {
        if (!exists(s[0])) {
            if (auto r = create(s[0]); !r)
                return r;
        }
        if (auto r = subscribe(s[0], true); !r)
            return r;
    }
    if (auto r = subscribe("INBOX", true); !r)
        return r;
    return mta::write_file_atomic(m_root + kSpecialMade, "", 0600);
}

} // namespace imapd
