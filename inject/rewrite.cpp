#include "rewrite.hpp"

#include "address.hpp"
#include "domain.hpp"

#include <algorithm>

namespace inject {

namespace {

bool has_type(Tokens const& tokens, TokenType type)
{
    return std::any_of(
        tokens.begin(), tokens.end(), [type](Token const& t) { return t.type == type; });
}

// qmail's rwroute: "@a,@b:box@host" -> "box@host"; a route without ':' leaves nothing.
// Repeated while the rest still starts with '@' ("@a:@b" is no address either), so that
// rewriting twice changes nothing more.
void remove_route(Tokens& address)
{
    while (!address.empty() && address.front().type == TokenType::at) {
        auto colon = std::find_if(address.begin(), address.end(),
            [](Token const& t) { return t.type == TokenType::colon; });
        address.erase(address.begin(), colon == address.end() ? colon : colon + 1);
    }
}

// <box@[]> is a qmail convention (VERP markers) and stays untouched.
bool is_empty_literal_host(Tokens const& address)
{
    std::size_t n = address.size();
    return n >= 2 && address[n - 1].type == TokenType::literal && address[n - 1].text.empty()
        && address[n - 2].type == TokenType::at;
}

// True when the host (the tokens after the last '@') has a dot or is a literal.
bool host_is_qualified(Tokens const& address)
{
    for (auto t = address.rbegin(); t != address.rend() && t->type != TokenType::at; ++t) {
        if (t->type == TokenType::dot || t->type == TokenType::literal)
            return true;
    }
    return false;
}

// True when the host is the single atom name (ASCII case ignored): a dotless default
// domain, which would otherwise become "vm.vm" on a host whose name has no dot.
bool host_is(Tokens const& address, std::string_view name)
{
    std::size_t n = address.size();
    return n >= 2 && address[n - 2].type == TokenType::at && address[n - 1].type == TokenType::atom
        && mta::lowercase_domain(address[n - 1].text) == mta::lowercase_domain(name);
}

mta::Result<Tokens> tokenize_control(std::string_view prefix, std::string_view value)
{
    std::string text(prefix);
    text += value;
    return tokenize(text);
}

} // namespace

mta::Result<Rewriter> Rewriter::make(
    std::string_view defaulthost, std::string_view defaultdomain, std::string_view plusdomain)
{
    Rewriter rw;
    auto host = tokenize_control("@", defaulthost);
    if (!host)
        return host.error();
    auto domain = tokenize_control(".", defaultdomain);
    if (!domain)
        return domain.error();
    auto plus = tokenize_control(".", plusdomain);
    if (!plus)
        return plus.error();
    rw.m_default_host = std::move(*host);
    rw.m_default_domain = std::move(*domain);
    rw.m_default_domain_name = defaultdomain;
    rw.m_plus_domain = std::move(*plus);
    return rw;
}

void Rewriter::rewrite_address(Tokens& address) const
{
    if (address.empty() || is_empty_literal_host(address))
        return;
    remove_route(address);
    // Trailing dots and '@'s (qmail removes one of each, in this order).
    while (!address.empty()
        && (address.back().type == TokenType::dot || address.back().type == TokenType::at))
        address.pop_back();
    if (address.empty())
        return;
    if (!has_type(address, TokenType::at))
        address.insert(address.end(), m_default_host.begin(), m_default_host.end());
    Token& last = address.back();
    if (last.type == TokenType::atom && !last.text.empty() && last.text.back() == '+') {
        last.text.pop_back();
        if (last.text.empty())
            address.pop_back();
        address.insert(address.end(), m_plus_domain.begin(), m_plus_domain.end());
    }
    if (!host_is_qualified(address) && !host_is(address, m_default_domain_name))
        address.insert(address.end(), m_default_domain.begin(), m_default_domain.end());
}

mta::Result<RewrittenField> Rewriter::rewrite_field(
    std::string_view name, std::string_view value) const
{
    auto tokens = tokenize(value);
    if (!tokens)
        return tokens.error();
    RewrittenField field;
    auto out = parse_address_list(value, *tokens, [&](Tokens& address) {
        rewrite_address(address);
        field.addresses.push_back(address_text(address));
    });
    if (!out)
        return out.error();
    field.text = unparse_field(name, *out);
    return field;
}

mta::Result<std::string> Rewriter::rewrite_argument(std::string_view argument) const
{
    if (argument.size() >= 2 && argument.front() == '<' && argument.back() == '>')
        argument = argument.substr(1, argument.size() - 2);
    auto tokens = tokenize(quote_address(argument));
    if (!tokens)
        return tokens.error();
    std::erase_if(*tokens, [](Token const& t) { return t.type == TokenType::comment; });
    rewrite_address(*tokens);
    return address_text(*tokens);
}

std::string quote_address(std::string_view address)
{
    if (address.empty())
        return {};
    auto [local, domain] = mta::split_at_last_at(address);
    std::string out = mta::quote_local(local);
    if (local.size() != address.size()) {
        out += '@';
        out += domain;
    }
    return out;
}

} // namespace inject
