#include "tls.hpp"

#include "buffer.hpp"
#include "fd.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <functional>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace mta;
using mta::test::TempDir;

namespace {

constexpr int kTimeoutMs = 10 * 1000;

struct KeyPair {
    std::string cert;
    std::string key;
};

// A throwaway self-signed EC P-256 certificate for localhost and 127.0.0.1.
KeyPair make_self_signed(TempDir const& dir, std::string const& name = "server")
{
    KeyPair out { dir.file(name + ".pem"), dir.file(name + ".key") };
    std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                      "-nodes -days 2 -subj /CN=localhost "
                      "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout '"
        + out.key + "' -out '" + out.cert + "' 2>/dev/null";
    REQUIRE(std::system(cmd.c_str()) == 0);
    return out;
}

// A root CA, an intermediate CA and a leaf for localhost: cert holds the leaf and the
// intermediate (a chain file), root the root CA's certificate.
struct Chain {
    std::string root;
    std::string cert;
    std::string key;
};

Chain make_chain(TempDir const& dir)
{
    auto run = [](std::string const& args) {
        std::string cmd = "openssl " + args + " 2>/dev/null >/dev/null";
        REQUIRE(std::system(cmd.c_str()) == 0);
    };
    std::string const d = dir.path() + "/";
    std::string const key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes ";
    dir.write("ca.ext", "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n");
    dir.write("leaf.ext", "basicConstraints=critical,CA:FALSE\nsubjectAltName=DNS:localhost\n");
    run("req -x509 " + key + "-days 2 -subj /CN=root -addext basicConstraints=critical,CA:TRUE "
        + "-keyout " + d + "root.key -out " + d + "root.pem");
    run("req -new " + key + "-subj /CN=intermediate -keyout " + d + "mid.key -out " + d
        + "mid.csr");
    run("x509 -req -days 2 -set_serial 2 -in " + d + "mid.csr -CA " + d + "root.pem -CAkey " + d
        + "root.key -extfile " + d + "ca.ext -out " + d + "mid.pem");
    run("req -new " + key + "-subj /CN=localhost -keyout " + d + "leaf.key -out " + d + "leaf.csr");
    run("x509 -req -days 2 -set_serial 3 -in " + d + "leaf.csr -CA " + d + "mid.pem -CAkey " + d
        + "mid.key -extfile " + d + "leaf.ext -out " + d + "leaf.pem");
    auto leaf = read_file(d + "leaf.pem", 100000);
    auto mid = read_file(d + "mid.pem", 100000);
    REQUIRE((leaf.ok() && mid.ok()));
    return Chain { d + "root.pem", dir.write("chain.pem", *leaf + *mid), d + "leaf.key" };
}

struct SocketPair {
    Fd client;
    Fd server;
};

SocketPair socket_pair()
{
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    return SocketPair { Fd(fds[0]), Fd(fds[1]) };
}

// The server side in a thread: accept on rfd/wfd, then body(session). What went wrong is
// kept in `error` (Catch2 assertions belong to the main thread).
class Server {
public:
    Server(tls::Context const& ctx, int rfd, int wfd, std::function<void(tls::Session&)> body)
        : m_thread([this, &ctx, rfd, wfd, body = std::move(body)] {
            auto s = tls::Session::accept(ctx, rfd, wfd, kTimeoutMs);
            if (!s) {
                m_error = s.error().text() + ": " + tls::last_error_text();
                return;
            }
            if (body)
                body(*s);
        })
    {
    }
    ~Server()
    {
        if (m_thread.joinable())
            m_thread.join();
    }
    Server(Server const&) = delete;
    Server& operator=(Server const&) = delete;

    std::string const& join()
    {
        m_thread.join();
        return m_error;
    }
    void fail(std::string text) { m_error = std::move(text); }

private:
    std::string m_error;
    std::thread m_thread;
};

long long elapsed_ms(std::chrono::steady_clock::time_point since)
{
    auto d = std::chrono::steady_clock::now() - since;
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

std::string pattern(size_t size)
{
    std::string out(size, '\0');
    for (size_t i = 0; i < size; ++i)
        out[i] = static_cast<char>((i * 7 + size) % 251);
    return out;
}

// Reads exactly n bytes (fewer at end of input).
std::string read_exactly(Reader& in, size_t n)
{
    std::string out(n, '\0');
    size_t have = 0;
    while (have < n) {
        auto got = in.read(out.data() + have, n - have);
        if (!got || *got == 0)
            break;
        have += *got;
    }
    out.resize(have);
    return out;
}

bool is_nonblocking(int fd)
{
    return (::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
}

std::vector<size_t> const kSizes
    = { 1, 2, 100, 1000, 8191, 8192, 8193, 16383, 16384, 16385, 65536, 100000 };

// Writes text through the session s on fd and flushes it.
bool send_text(tls::Session& s, int fd, std::string const& text)
{
    Writer out(fd, 0, s.write_fn());
    return out.put(text) && out.flush();
}

// The setup of most cases: a self-signed server context, a client context that trusts
// it, and a socket pair (the server's end is sfd, the client's cfd).
struct Peers {
    TempDir dir;
    KeyPair pair = make_self_signed(dir);
    Result<tls::Context> sctx = tls::Context::server(pair.cert, pair.key);
    Result<tls::Context> cctx = tls::Context::client(pair.cert);
    SocketPair sp = socket_pair();
    int sfd = sp.server.get();
    int cfd = sp.client.get();

    Peers()
    {
        std::signal(SIGPIPE, SIG_IGN);
        REQUIRE((sctx.ok() && cctx.ok()));
    }

    // The client's handshake with "localhost" on cfd.
    Result<tls::Session> connect(int timeout_ms = kTimeoutMs) const
    {
        return tls::Session::connect(*cctx, cfd, cfd, "localhost", timeout_ms);
    }
};

} // namespace

TEST_CASE_METHOD(Peers, "a TLS 1.3 handshake and data both ways in sizes 1 to 100000", "[lib][tls]")
{
    Server server(*sctx, sfd, sfd, [this, &server](tls::Session& s) {
        Reader in(sfd, 0, s.read_fn());
        Writer out(sfd, 0, s.write_fn());
        for (size_t size : kSizes) {
            std::string got = read_exactly(in, size);
            if (got != pattern(size))
                return server.fail("server got other bytes at size " + std::to_string(size));
            std::string back(got.rbegin(), got.rend());
            if (!out.put(back) || !out.flush())
                return server.fail("server write failed");
        }
        s.shutdown();
    });

    auto s = connect();
    REQUIRE(s.ok());
    CHECK(s->version() == "TLSv1.3");
    CHECK(s->cipher().rfind("TLS_", 0) == 0);
    CHECK(s->cipher_bits() >= 128);
    CHECK(s->peer_verified());
    CHECK(s->verify_text() == "ok");
    CHECK(is_nonblocking(cfd));
    Reader in(cfd, 0, s->read_fn());
    Writer out(cfd, 0, s->write_fn());
    for (size_t size : kSizes) {
        INFO("size " << size);
        std::string data = pattern(size);
        REQUIRE(out.put(data).ok());
        REQUIRE(out.flush().ok());
        std::string got = read_exactly(in, size);
        REQUIRE(got == std::string(data.rbegin(), data.rend()));
    }
    char byte;
    auto end = in.read(&byte, 1);
    REQUIRE(end.ok());
    CHECK(*end == 0); // close_notify
    CHECK(server.join().empty());
}

TEST_CASE_METHOD(Peers, "a session over two pipes restores blocking mode at the end", "[lib][tls]")
{
    auto up = make_pipe(); // client to server
    auto down = make_pipe(); // server to client
    REQUIRE((up.ok() && down.ok()));
    int srfd = up->read_end.get();
    int swfd = down->write_end.get();
    Server server(*sctx, srfd, swfd, [&server, srfd, swfd](tls::Session& s) {
        Reader in(srfd, 0, s.read_fn());
        Writer out(swfd, 0, s.write_fn());
        std::string line;
        auto got = in.get_line(line, 100);
        if (!got || *got != LineStatus::line || line != "EHLO client\r")
            return server.fail("server read: " + line);
        if (!out.put("250 hello " + s.version() + "\r\n") || !out.flush())
            return server.fail("server write failed");
        s.shutdown();
        if (is_nonblocking(srfd) || is_nonblocking(swfd))
            server.fail("server fds still non-blocking after shutdown");
    });
    int crfd = down->read_end.get();
    int cwfd = up->write_end.get();
    {
        auto s = tls::Session::connect(*cctx, crfd, cwfd, "localhost", kTimeoutMs);
        REQUIRE(s.ok());
        CHECK((is_nonblocking(crfd) && is_nonblocking(cwfd)));
        Writer out(cwfd, 0, s->write_fn());
        REQUIRE((out.put("EHLO client\r\n").ok() && out.flush().ok()));
        Reader in(crfd, 0, s->read_fn());
        std::string line;
        auto got = in.get_line(line, 100);
        REQUIRE(got.ok());
        CHECK(line == "250 hello TLSv1.3\r");
    }
    CHECK_FALSE(is_nonblocking(crfd));
    CHECK_FALSE(is_nonblocking(cwfd));
    CHECK(server.join().empty());
}

TEST_CASE_METHOD(Peers, "the server refuses a client limited to TLS 1.1", "[lib][tls]")
{
    // An old client: TLS 1.0 and 1.1 with the checks that forbid them relaxed.
    SSL_CTX* old = cctx->get();
    REQUIRE(SSL_CTX_set_min_proto_version(old, TLS1_VERSION) == 1);
    REQUIRE(SSL_CTX_set_max_proto_version(old, TLS1_1_VERSION) == 1);
    REQUIRE(SSL_CTX_set_cipher_list(old, "DEFAULT:@SECLEVEL=0") == 1);
    Server server(*sctx, sfd, sfd, {});
    auto s = connect();
    CHECK_FALSE(s.ok());
    (void)tls::last_error_text();
    std::string error = server.join();
    INFO(error);
    CHECK(error.find("TLS handshake failed") != std::string::npos);
    CHECK(error.find("unsupported protocol") != std::string::npos);
}

TEST_CASE("a handshake or read with a silent peer times out", "[lib][tls]")
{
    TempDir dir;
    auto pair = make_self_signed(dir);
    auto sctx = tls::Context::server(pair.cert, pair.key);
    auto cctx = tls::Context::client();
    REQUIRE((sctx.ok() && cctx.ok()));
    auto sp = socket_pair();
    int fd = sp.client.get();

    auto start = std::chrono::steady_clock::now();
    auto c = tls::Session::connect(*cctx, fd, fd, "localhost", 300);
    auto took = elapsed_ms(start);
    REQUIRE_FALSE(c.ok());
    CHECK(c.error().errnum == ETIMEDOUT);
    CHECK((took >= 250 && took < 3000));
    CHECK_FALSE(is_nonblocking(fd));

    auto quiet = socket_pair();
    start = std::chrono::steady_clock::now();
    auto s = tls::Session::accept(*sctx, quiet.server.get(), quiet.server.get(), 300);
    took = elapsed_ms(start);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().errnum == ETIMEDOUT);
    CHECK((took >= 250 && took < 3000));
    (void)tls::last_error_text();
}

TEST_CASE_METHOD(
    Peers, "a read after the handshake times out and the session goes on", "[lib][tls]")
{
    Server server(*sctx, sfd, sfd, [this, &server](tls::Session& s) {
        std::this_thread::sleep_for(std::chrono::milliseconds(600));
        if (!send_text(s, sfd, "late\n"))
            server.fail("server write failed");
        s.shutdown();
    });
    auto s = connect();
    REQUIRE(s.ok());
    s->set_timeout(200);
    Reader in(cfd, 0, s->read_fn());
    std::string line;
    auto start = std::chrono::steady_clock::now();
    auto got = in.get_line(line, 100);
    REQUIRE_FALSE(got.ok());
    CHECK(got.error().errnum == ETIMEDOUT);
    CHECK((elapsed_ms(start) >= 150 && elapsed_ms(start) < 3000));
    s->set_timeout(kTimeoutMs);
    got = in.get_line(line, 100);
    REQUIRE(got.ok());
    CHECK(line == "late");
    CHECK(server.join().empty());
}

TEST_CASE("peer verification needs a trusted chain and the right name", "[lib][tls]")
{
    std::signal(SIGPIPE, SIG_IGN);
    TempDir dir;
    auto pair = make_self_signed(dir);
    auto sctx = tls::Context::server(pair.cert, pair.key);
    REQUIRE(sctx.ok());
    struct Case {
        std::string ca_file;
        std::string name;
        bool verified;
        std::string text;
    };
    std::vector<Case> const cases = {
        { "", "localhost", false, "self-signed certificate" },
        { pair.cert, "localhost", true, "ok" },
        { pair.cert, "localhost.", true, "ok" },
        { pair.cert, "127.0.0.1", true, "ok" },
        { pair.cert, "other.example", false, "hostname mismatch" },
        { pair.cert, "127.0.0.2", false, "IP address mismatch" },
    };
    for (auto const& c : cases) {
        INFO("ca_file '" << c.ca_file << "', name " << c.name);
        auto cctx = tls::Context::client(c.ca_file);
        REQUIRE(cctx.ok());
        auto sp = socket_pair();
        int sfd = sp.server.get();
        Server server(*sctx, sfd, sfd, [&server](tls::Session& s) {
            if (s.peer_verified() || s.verify_text() != "no certificate")
                server.fail("the server claims a verified client");
            s.shutdown();
        });
        auto s = tls::Session::connect(*cctx, sp.client.get(), sp.client.get(), c.name, kTimeoutMs);
        REQUIRE(s.ok());
        CHECK(s->peer_verified() == c.verified);
        CHECK(s->verify_text() == c.text);
        CHECK(server.join().empty());
    }
}

TEST_CASE("a server context needs a readable certificate and its own key", "[lib][tls]")
{
    TempDir dir;
    auto pair = make_self_signed(dir);
    auto other = make_self_signed(dir, "other");
    CHECK(tls::Context::server(pair.cert, pair.key).ok());
    auto missing = tls::Context::server(pair.cert, dir.file("missing.key"));
    REQUIRE_FALSE(missing.ok());
    CHECK(std::string(missing.error().what) == "unable to load the TLS private key");
    CHECK_FALSE(tls::last_error_text().empty());
    CHECK(tls::last_error_text().empty()); // the queue was cleared
    auto no_cert = tls::Context::server(dir.file("missing.pem"), pair.key);
    REQUIRE_FALSE(no_cert.ok());
    CHECK(std::string(no_cert.error().what) == "unable to load the TLS certificate");
    auto mismatch = tls::Context::server(pair.cert, other.key);
    REQUIRE_FALSE(mismatch.ok());
    CHECK(std::string(mismatch.error().what) == "TLS private key does not match the certificate");
    auto garbage = tls::Context::server(dir.write("garbage.pem", "not a certificate\n"), pair.key);
    CHECK_FALSE(garbage.ok());
    CHECK_FALSE(tls::Context::client(dir.file("missing-ca.pem")).ok());
    (void)tls::last_error_text();
}

TEST_CASE_METHOD(Peers, "a peer closing without close_notify reads as end of input", "[lib][tls]")
{
    Server server(*sctx, sfd, sfd, [this, &server](tls::Session& s) {
        if (!send_text(s, sfd, "bye\n"))
            server.fail("server write failed");
        if (::shutdown(sfd, SHUT_RDWR) != 0) // end of input, no close_notify
            server.fail("shutdown failed");
    });
    auto s = connect();
    REQUIRE(s.ok());
    CHECK(server.join().empty());
    Reader in(cfd, 0, s->read_fn());
    std::string line;
    auto got = in.get_line(line, 100);
    REQUIRE(got.ok());
    CHECK(line == "bye");
    got = in.get_line(line, 100);
    REQUIRE(got.ok());
    CHECK(*got == LineStatus::eof);
    CHECK(tls::last_error_text().empty());
}

TEST_CASE_METHOD(Peers, "garbage instead of a TLS record is an EIO read error", "[lib][tls]")
{
    Server server(*sctx, sfd, sfd, [this, &server](tls::Session&) {
        if (!write_all(sfd, "this is not a TLS record\r\n").ok())
            server.fail("raw write failed");
    });
    auto s = connect();
    REQUIRE(s.ok());
    CHECK(server.join().empty());
    Reader in(cfd, 0, s->read_fn());
    std::string line;
    auto got = in.get_line(line, 100);
    REQUIRE_FALSE(got.ok());
    CHECK(got.error().errnum == EIO);
    CHECK_FALSE(tls::last_error_text().empty());
    Writer out(cfd, 0, s->write_fn());
    CHECK_FALSE((out.put("x").ok() && out.flush().ok())); // the session is broken
}

TEST_CASE_METHOD(Peers, "TLS 1.2 works with a forward-secret AEAD suite", "[lib][tls]")
{
    REQUIRE(SSL_CTX_set_max_proto_version(cctx->get(), TLS1_2_VERSION) == 1);
    Server server(*sctx, sfd, sfd, [this, &server](tls::Session& s) {
        if (!send_text(s, sfd, "hello\n"))
            server.fail("server write failed");
        s.shutdown();
    });
    auto s = connect();
    REQUIRE(s.ok());
    CHECK(s->version() == "TLSv1.2");
    INFO(s->cipher());
    CHECK(s->cipher().rfind("ECDHE-", 0) == 0);
    CHECK((s->cipher().find("GCM") != std::string::npos
        || s->cipher().find("CHACHA20") != std::string::npos));
    CHECK(s->peer_verified());
    Reader in(cfd, 0, s->read_fn());
    std::string line;
    REQUIRE(in.get_line(line, 100).ok());
    CHECK(line == "hello");
    CHECK(server.join().empty());
}

TEST_CASE("a chain file with an intermediate verifies against the root CA", "[lib][tls]")
{
    std::signal(SIGPIPE, SIG_IGN);
    TempDir dir;
    auto chain = make_chain(dir);
    auto sctx = tls::Context::server(chain.cert, chain.key);
    REQUIRE(sctx.ok());
    auto stranger = make_self_signed(dir, "stranger");
    for (bool trusted : { true, false }) {
        auto cctx = tls::Context::client(trusted ? chain.root : stranger.cert);
        REQUIRE(cctx.ok());
        auto sp = socket_pair();
        int sfd = sp.server.get();
        Server server(*sctx, sfd, sfd, [](tls::Session& s) { s.shutdown(); });
        auto s = tls::Session::connect(
            *cctx, sp.client.get(), sp.client.get(), "localhost", kTimeoutMs);
        REQUIRE(s.ok());
        CHECK(s->peer_verified() == trusted);
        CHECK(s->verify_text() == (trusted ? "ok" : "unable to get local issuer certificate"));
        CHECK(server.join().empty());
    }
}

TEST_CASE_METHOD(Peers, "half a TLS record does not hold a read past the timeout", "[lib][tls]")
{
    Server server(*sctx, sfd, sfd, [this, &server](tls::Session&) {
        // An application data record header announcing 64 bytes, then only 3 of them.
        if (!write_all(sfd, std::string("\x17\x03\x03\x00\x40xyz", 8)).ok())
            return server.fail("raw write failed");
        pollfd p { sfd, POLLIN, 0 };
        (void)::poll(&p, 1, kTimeoutMs); // until the client goes away
        (void)::shutdown(sfd, SHUT_RDWR); // a client blocked in read would wake up here
    });
    auto s = connect(300);
    REQUIRE(s.ok());
    Reader in(cfd, 0, s->read_fn());
    char buf[100];
    auto start = std::chrono::steady_clock::now();
    auto got = in.read(buf, sizeof buf);
    auto took = elapsed_ms(start);
    REQUIRE_FALSE(got.ok());
    CHECK(got.error().errnum == ETIMEDOUT);
    CHECK((took >= 250 && took < 3000));
    REQUIRE(::shutdown(cfd, SHUT_RDWR) == 0);
    CHECK(server.join().empty());
}
