// session - one SMTP conversation on fd 0 and 1: the command loop, the transaction and
// the replies (qmail-smtpd's smtpcommands[] with ESMTP, BDAT and STARTTLS added).
//
//     smtpd::Session session(config);
//     session.serve();                            // returns at QUIT or end of input
//
// Every reply carries an enhanced status code (RFC 2034) except the greeting, the
// HELO/EHLO replies and 354. Replies are buffered and flushed whenever no more pipelined
// input is waiting. A timeout, too many errors or a failure that leaves the conversation
// out of step ends it with a 421 (or the reply of the failing command) and _exit(0);
// problems of our own (no TLS key...) exit 111, and so does an end of input while a
// message is being received (DATA, or BDAT chunks without LAST yet): the message is lost
// and the log (standard error) says so.
//
// Every 4xx/5xx reply to MAIL, RCPT, DATA or BDAT is logged on standard error, one line
// per command and at most kMaxRefusalLogs per session:
//     smtpd: refused RCPT from 192.0.2.7: 553 5.7.1 sorry, ...; from=<a@b> to=<c@d> helo=<h>
#pragma once

#include "auth.hpp"
#include "buffer.hpp"
#include "command.hpp"
#include "config.hpp"
#include "local_recipients.hpp"
#include "message.hpp"
#include "queue_client.hpp"
#include "reception.hpp"
#include "tls.hpp"

#include <optional>
#include <string>
#include <vector>

namespace smtpd {

// Protocol errors (syntax, unknown verbs, commands out of order) tolerated per session.
inline constexpr int kMaxErrors = 20;
// The longest command line, CR included, LF not.
inline constexpr std::size_t kMaxCommandBytes = 1000;
// Refusals logged per session; the next one logs that the rest are not.
inline constexpr int kMaxRefusalLogs = 100;

class Session {
public:
    explicit Session(Config const& config);

    // Implicit TLS (port 465) before the greeting, the greeting, then the command loop.
    void serve();

private:
    struct Transaction {
        bool has_mail = false;
        std::string sender;
        bool utf8 = false;
        std::vector<std::string> recipients;
        std::optional<mta::QueueClient> queue; // open during BDAT chunks
        std::optional<MessageFilter> filter;
    };

    bool next_command();
    void dispatch(Command const& cmd);
    void helo(std::string_view arg, bool esmtp);
    void mail(std::string_view arg);
    void rcpt(std::string_view arg);
    bool has_mailbox(mta::Address const& to, std::string const& address);
    void data(std::string_view arg);
    void bdat(std::string_view arg);
    void starttls(std::string_view arg);
    void auth(std::string_view arg);
    void quit();

    bool auth_offered() const;
    std::optional<std::string> read_response(std::string_view prompt);
    std::optional<Credentials> read_plain(std::optional<std::string_view> initial);
    std::optional<Credentials> read_login(std::optional<std::string_view> initial);
    void check_credentials(Credentials const& credentials);
    bool sender_permitted(std::string_view sender);

    bool transaction_ready(bool chunking);
    std::optional<mta::QueueClient> open_queue(bool utf8);
    void read_chunk(std::uint64_t size, mta::QueueClient* queue, MessageFilter* filter);
    void finish_message(mta::QueueClient& queue, MessageFilter& filter);
    void reset();
    void start_tls();

    void reply(std::string_view line);
    void error(std::string_view line);
    void flush();
    [[noreturn]] void close_with(std::string_view line);
    [[noreturn]] void input_failed(mta::Error error);
    [[noreturn]] void message_lost(mta::Error error);
    void log_refusal(std::string_view line);
    std::string refusal_context(Command const& cmd) const;

    Config const& m_config;
    mta::Reader m_in;
    mta::Writer m_out;
    Reception m_reception; // DATA and BDAT bytes from m_in
    std::optional<mta::tls::Context> m_tls_context;
    std::optional<mta::tls::Session> m_tls;
    std::string m_helo;
    bool m_esmtp = false;
    int m_errors = 0;
    Transaction m_tx;
    RecipientTable m_mailboxes;
    LocalRecipients m_locals;
    std::string m_login; // the authenticated user, "" before AUTH
    int m_auth_failures = 0;
    std::optional<std::vector<AuthSender>> m_authsenders; // read at the first MAIL
    std::string m_line;
    MessageFilter const* m_data_filter = nullptr; // while DATA's bytes are read
    char const* m_verb = nullptr; // MAIL, RCPT, DATA or BDAT while one is handled
    std::string m_refusal_context; // its "from=<...> to=<...>" for the log
    bool m_refusal_logged = false; // for this command
    int m_refusals = 0; // logged in this session
};

} // namespace smtpd
