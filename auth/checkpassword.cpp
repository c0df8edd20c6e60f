#include "checkpassword.hpp"

namespace auth {

std::optional<Request> parse_request(std::string_view bytes)
{
    if (bytes.size() > kMaxRequestBytes)
        return std::nullopt;
    size_t const end_login = bytes.find('\0');
    if (end_login == std::string_view::npos || end_login == 0)
        return std::nullopt;
    size_t const end_password = bytes.find('\0', end_login + 1);
    if (end_password == std::string_view::npos)
        return std::nullopt;
    Request r;
    r.login = std::string(bytes.substr(0, end_login));
    for (char& c : r.login)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    r.password = std::string(bytes.substr(end_login + 1, end_password - end_login - 1));
    return r;
}

std::string home_of(std::string const& login, std::string const& root)
{
    size_t at = login.rfind('@');
    return root + "/domains/" + login.substr(at + 1) + "/" + login.substr(0, at);
}

} // namespace auth
