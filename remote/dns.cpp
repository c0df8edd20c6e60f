#include "dns.hpp"

#include "domain.hpp"

#include <algorithm>
#include <chrono>
#include <poll.h>
#include <unbound.h>

namespace remote {

namespace {

constexpr int kTypeA = 1;
constexpr int kTypeMx = 15;
constexpr int kTypeAaaa = 28;
constexpr int kClassIn = 1;
constexpr int kRcodeNxdomain = 3;

// qmail's text, and what went wrong on a second line, e.g. "(DNS: MX of x.example: SERVFAIL)".
std::string soft(std::string const& problem)
{
    return "ZSorry, I couldn't find any host by that name. (#4.1.2)\n(DNS: " + problem + ")\n";
}

std::string rcode_text(int rcode)
{
    switch (rcode) {
    case 2:
        return "SERVFAIL";
    case 5:
        return "REFUSED";
    default:
        return "rcode " + std::to_string(rcode);
    }
}
constexpr char const* kNoHost
    = "DSorry, I couldn't find a mail exchanger or IP address. (#5.4.4)\n";
constexpr char const* kSelfMx
    = "DSorry. Although I'm listed as a best-preference MX or A for that host,\n"
      "it isn't in my control/locals file, so I don't treat it as local. (#5.4.6)\n";

struct Pending {
    Answer* answer;
    bool done = false;
};

void on_answer(void* arg, int err, ub_result* result)
{
    auto* pending = static_cast<Pending*>(arg);
    pending->done = true;
    Answer& a = *pending->answer;
    if (err != 0 || result == nullptr) {
        a.kind = Answer::Kind::temporary;
        a.problem = ub_strerror(err);
    } else if (result->nxdomain || result->rcode == kRcodeNxdomain) {
        a.kind = Answer::Kind::nxdomain;
    } else if (result->rcode != 0) {
        a.kind = Answer::Kind::temporary;
        a.problem = rcode_text(result->rcode);
    } else {
        a.kind = Answer::Kind::records;
        for (int i = 0; result->havedata && result->data[i] != nullptr; ++i)
            a.rdata.emplace_back(result->data[i], static_cast<size_t>(result->len[i]));
    }
    if (result != nullptr)
        ub_resolve_free(result);
}

std::string without_dot(std::string name)
{
    while (!name.empty() && name.back() == '.')
        name.pop_back();
    return mta::lowercase_domain(name);
}

bool is_local(std::string const& name, std::vector<std::string> const& locals)
{
    return std::any_of(
        locals.begin(), locals.end(), [&](std::string const& l) { return without_dot(l) == name; });
}

// The addresses in answers (IPv6 first); sets problem when one was a temporary failure.
void collect(std::string const& host, Answer const& v6, Answer const& v4, std::vector<Target>& out,
    std::string& problem)
{
    for (Answer const* a : { &v6, &v4 }) {
        if (a->kind == Answer::Kind::temporary)
            problem = (a == &v6 ? "AAAA of " : "A of ") + host + ": " + a->problem;
        for (auto const& r : a->rdata) {
            Target t { host, {} };
            if (r.size() != 4 && r.size() != 16)
                continue;
            t.ip.v6 = r.size() == 16;
            std::copy(r.begin(), r.end(), t.ip.bytes.begin());
            out.push_back(t);
        }
    }
}

// AAAA and A of each name, in order.
Lookup addresses_of(Resolver& resolver, std::vector<std::string> const& names)
{
    std::vector<Question> questions;
    for (auto const& n : names) {
        questions.push_back({ n, kTypeAaaa });
        questions.push_back({ n, kTypeA });
    }
    auto answers = resolver.ask(questions);
    Lookup found;
    std::string problem;
    for (size_t i = 0; i < names.size(); ++i)
        collect(names[i], answers[2 * i], answers[2 * i + 1], found.targets, problem);
    if (found.targets.empty())
        found.failure = problem.empty() ? kNoHost : soft(problem);
    return found;
}

} // namespace

std::optional<Target> literal_target(std::string const& host)
{
    std::string_view h = host;
    if (h.size() > 2 && h.front() == '[' && h.back() == ']') {
        h = h.substr(1, h.size() - 2);
        if (h.size() > 5 && mta::lowercase_domain(h.substr(0, 5)) == "ipv6:")
            h.remove_prefix(5);
    } else if (h.find_first_not_of("0123456789.") != std::string_view::npos) {
        return std::nullopt; // a dotted quad may go without brackets, as in qmail
    }
    auto ip = parse_ip(h);
    if (!ip)
        return std::nullopt;
    return Target { host, *ip };
}

void Resolver::Free::operator()(ub_ctx* ctx) const
{
    ub_ctx_delete(ctx);
}

mta::Result<Resolver> Resolver::create(std::vector<std::string> const& forwarders, int timeout_ms)
{
    Resolver r;
    r.m_timeout_ms = timeout_ms;
    r.m_ctx.reset(ub_ctx_create());
    if (!r.m_ctx)
        return mta::Error { ENOMEM, "unable to create DNS resolver" };
    ub_ctx* ctx = r.m_ctx.get();
    if (ub_ctx_set_option(ctx, "do-not-query-localhost:", "no") != 0 || ub_ctx_async(ctx, 1) != 0)
        return mta::Error::plain("unable to configure DNS resolver");
    if (forwarders.empty()) {
        if (ub_ctx_resolvconf(ctx, nullptr) != 0)
            return mta::Error::plain("unable to read /etc/resolv.conf");
        return r;
    }
    for (auto const& f : forwarders) {
        auto fwd = forwarder_syntax(f);
        if (!fwd)
            return fwd.error();
        if (ub_ctx_set_fwd(ctx, fwd->c_str()) != 0)
            return mta::Error::plain("bad forwarder in control/resolvers");
    }
    return r;
}

std::vector<Answer> Resolver::ask(std::vector<Question> const& questions)
{
    std::vector<Answer> answers(questions.size());
    std::vector<Pending> pending;
    pending.reserve(questions.size());
    std::vector<int> ids(questions.size(), -1);
    for (size_t i = 0; i < questions.size(); ++i) {
        pending.push_back(Pending { &answers[i] });
        int err = ub_resolve_async(m_ctx.get(), questions[i].name.c_str(), questions[i].type,
            kClassIn, &pending[i], on_answer, &ids[i]);
        if (err != 0) {
            pending[i].done = true;
            answers[i].problem = ub_strerror(err);
        }
    }
    auto const deadline
        = std::chrono::steady_clock::now() + std::chrono::milliseconds(m_timeout_ms);
    auto all_done = [&] {
        return std::all_of(pending.begin(), pending.end(), [](Pending const& p) { return p.done; });
    };
    while (!all_done()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            break;
        pollfd p { ub_fd(m_ctx.get()), POLLIN, 0 };
        int n = ::poll(&p, 1, static_cast<int>(left.count()));
        if (n == -1 && errno != EINTR)
            break;
        if (n > 0 && ub_process(m_ctx.get()) != 0)
            break;
    }
    for (size_t i = 0; i < questions.size(); ++i) {
        if (!pending[i].done) {
            (void)ub_cancel(m_ctx.get(), ids[i]);
            answers[i].kind = Answer::Kind::temporary;
            answers[i].problem = "timed out";
        }
    }
    return answers;
}

mta::Result<std::string> forwarder_syntax(std::string_view line)
{
    std::string addr(line), port;
    if (line.starts_with('[')) { // [v6]:port or [v6]
        auto close = line.find(']');
        if (close == std::string_view::npos)
            return mta::Error::plain("bad forwarder in control/resolvers");
        addr = std::string(line.substr(1, close - 1));
        std::string_view rest = line.substr(close + 1);
        if (!rest.empty() && (rest[0] != ':' || rest.size() == 1))
            return mta::Error::plain("bad forwarder in control/resolvers");
        if (!rest.empty())
            port = std::string(rest.substr(1));
    } else if (auto at = line.find('@'); at != std::string_view::npos) {
        addr = std::string(line.substr(0, at));
        port = std::string(line.substr(at + 1));
    } else if (std::count(line.begin(), line.end(), ':') == 1) { // v4:port
        addr = std::string(line.substr(0, line.find(':')));
        port = std::string(line.substr(line.find(':') + 1));
    }
    if (!parse_ip(addr)
        || (!port.empty() && port.find_first_not_of("0123456789") != std::string::npos)
        || port.size() > 5 || (!port.empty() && std::stoul(port) > 65535))
        return mta::Error::plain("bad forwarder in control/resolvers");
    return port.empty() ? addr : addr + "@" + port;
}

std::optional<Mx> decode_mx(std::string_view rdata)
{
    if (rdata.size() < 3)
        return std::nullopt;
    Mx mx;
    mx.preference
        = (static_cast<unsigned char>(rdata[0]) << 8) | static_cast<unsigned char>(rdata[1]);
    size_t i = 2;
    while (i < rdata.size()) {
        auto len = static_cast<unsigned char>(rdata[i++]);
        if (len == 0)
            return mx.name.size() > 255 ? std::nullopt : std::optional<Mx>(mx);
        if (len > 63 || i + len > rdata.size())
            return std::nullopt;
        if (!mx.name.empty())
            mx.name += '.';
        mx.name.append(rdata.substr(i, len));
        i += len;
    }
    return std::nullopt;
}

MxOrder order_mx(std::vector<Mx> mx, std::vector<std::string> const& locals, std::string_view host,
    std::mt19937& random)
{
    MxOrder out;
    for (auto& m : mx)
        m.name = without_dot(m.name);
    if (mx.size() == 1 && mx[0].name.empty()) {
        out.failure
            = "DSorry, " + std::string(host) + " does not accept mail (null MX). (#5.1.10)\n";
        return out;
    }
    std::shuffle(mx.begin(), mx.end(), random);
    std::stable_sort(
        mx.begin(), mx.end(), [](Mx const& a, Mx const& b) { return a.preference < b.preference; });
    for (auto const& m : mx) {
        if (is_local(m.name, locals)) {
            auto const self = m.preference;
            std::erase_if(mx, [&](Mx const& x) { return x.preference >= self; });
            if (mx.empty())
                out.failure = kSelfMx;
            break;
        }
    }
    std::erase_if(mx, [](Mx const& x) { return x.name.empty(); });
    if (mx.empty() && out.failure.empty())
        out.failure = kNoHost;
    out.mx = std::move(mx);
    return out;
}

Lookup find_targets(Resolver& resolver, std::string const& host,
    std::vector<std::string> const& locals, std::mt19937& random)
{
    if (auto t = literal_target(host))
        return Lookup { { *t }, {} };
    Answer mx = std::move(resolver.ask({ { host, kTypeMx } })[0]);
    if (mx.kind == Answer::Kind::temporary)
        return Lookup { {}, soft("MX of " + host + ": " + mx.problem) };
    if (mx.kind == Answer::Kind::nxdomain)
        return Lookup { {}, "DSorry, I couldn't find any host named " + host + ". (#5.1.2)\n" };
    std::vector<Mx> records;
    for (auto const& r : mx.rdata)
        if (auto m = decode_mx(r))
            records.push_back(*m);
    if (records.empty())
        return addresses_of(resolver, { host });
    MxOrder order = order_mx(std::move(records), locals, host, random);
    if (!order.failure.empty())
        return Lookup { {}, order.failure };
    std::vector<std::string> names;
    for (auto const& m : order.mx)
        names.push_back(m.name);
    return addresses_of(resolver, names);
}

Lookup find_relay(Resolver& resolver, std::string const& relay)
{
    if (auto t = literal_target(relay))
        return Lookup { { *t }, {} };
    return addresses_of(resolver, { relay });
}

} // namespace remote
