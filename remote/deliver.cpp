#include "deliver.hpp"

#include "dns.hpp"
#include "net.hpp"
#include "routes.hpp"
#include "session.hpp"
#include "tcpto.hpp"

#include <random>
#include <unistd.h>

namespace remote {

namespace {

constexpr char const* kNoConnection
    = "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n";

std::string record(char letter, std::string const& text)
{
    std::string out(1, letter);
    out += text;
    out += '\0';
    return out;
}

// What the MAIL command must say about the message; nullopt when it cannot be read.
std::optional<MessageFacts> scan(int fd)
{
    MessageFacts facts;
    std::string buf(65536, '\0');
    for (off_t offset = 0;;) {
        ssize_t n = ::pread(fd, buf.data(), buf.size(), offset);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            return std::nullopt;
        if (n == 0)
            return facts;
        offset += n;
        facts = message_facts(std::string_view(buf.data(), static_cast<size_t>(n)), facts);
    }
}

struct Targets {
    std::vector<Target> list;
    unsigned port = kSmtpPort;
    std::string failure; // a record text
};

std::mt19937 seeded()
{
    std::random_device device;
    return std::mt19937(device() ^ static_cast<unsigned>(::getpid()));
}

// Routes first, then DNS; the resolver is made only when a name must be looked up.
Targets find(Config const& config)
{
    Targets t;
    auto route = find_route(config.smtproutes, config.host);
    if (!route)
        return Targets { {}, kSmtpPort,
            "ZUnable to parse control/smtproutes: " + std::string(route.error().what)
                + ". (#4.3.0)\n" };
    bool const routed = *route && !(*route)->relay.empty();
    std::string const name = routed ? (*route)->relay : config.host;
    if (*route)
        t.port = (*route)->port;
    if (auto literal = literal_target(name)) {
        t.list.push_back(*literal);
        return t;
    }
    auto resolver = Resolver::create(config.resolvers, config.timeoutdns * 1000);
    if (!resolver) {
        t.failure
            = "ZUnable to set up the DNS resolver: " + resolver.error().text() + ". (#4.3.0)\n";
        return t;
    }
    std::mt19937 random = seeded();
    Lookup found = routed ? find_relay(*resolver, name)
                          : find_targets(*resolver, name, config.locals, random);
    t.list = std::move(found.targets);
    t.failure = std::move(found.failure);
    return t;
}

} // namespace

std::string deliver(Config const& config, int message_fd)
{
    TlsClient tls(config.tlsca);
    return deliver(config, message_fd, tls);
}

std::string deliver(Config const& config, int message_fd, TlsClient& tls)
{
    auto facts = scan(message_fd);
    if (!facts)
        return record('Z', "Unable to read message. (#4.3.0)\n");
    Targets targets = find(config);
    if (targets.list.empty())
        return targets.failure + '\0';
    bool const require_tls = tls_required(config.tlsdestinations, config.host);
    Tcpto tcpto(config.root + "/queue/lock/tcpto");
    std::string problems;
    bool tls_refused = false;
    for (auto const& target : targets.list) {
        if (tcpto.should_skip(target.ip)) {
            problems += describe(target) + ": skipped, recently unreachable (tcpto)\n";
            continue;
        }
        SessionParams params { config, target, message_fd, *facts, true, {}, require_tls, tls };
        for (int round = 0; round < 2; ++round) {
            auto fd = connect_tcp(target.ip, targets.port, config.timeoutconnect * 1000);
            tcpto.record(target.ip, !fd && fd.error().errnum == ETIMEDOUT);
            if (!fd) {
                problems += describe(target) + ": " + fd.error().text() + "\n";
                break;
            }
            Attempt a = converse(std::move(*fd), params);
            if (a.end == Attempt::End::done)
                return a.records;
            problems += a.problem + "\n";
            if (a.end == Attempt::End::next) {
                tls_refused = tls_refused || require_tls;
                break;
            }
            params.offer_tls = false; // the handshake failed: once more in plaintext
            params.tls_failure = a.tls_failure;
        }
    }
    if (tls_refused)
        return record('Z',
            "Sorry, " + config.host
                + " requires verified TLS (control/tlsdestinations), "
                  "and no exchanger offered it. (#4.7.5)\n"
                + problems);
    return record('Z', kNoConnection + problems);
}

} // namespace remote
