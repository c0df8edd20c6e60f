// failure - every way a local delivery can fail, with its exit code and qmail-local's
// text, in one place (qmail-local.c's temp_* and perm_* helpers).
//
//     local::Outcome<int> r = something();
//     if (!r) return r.failure();                  // passed up to main, which prints it
//     if (local::Fail f = deliver(); f) return f;  // nullopt means success
//
// Modules return failures as values so that they can be tested; only main prints the
// text (one line on stderr, read by lspawn) and exits with the code: 100 permanent, 111
// temporary. Texts end with an enhanced status code, e.g. "(#4.3.0)".
#pragma once

#include "error.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace local {

struct Failure {
    int exit_code = 111; // 100 or 111
    std::string text; // one or more lines, without the final LF
};

// nullopt: the step succeeded.
using Fail = std::optional<Failure>;

template <class T> class [[nodiscard]] Outcome {
public:
    Outcome(T value)
        : m_value(std::move(value))
    {
    }
    Outcome(Failure failure)
        : m_value(std::move(failure))
    {
    }

    bool ok() const { return std::holds_alternative<T>(m_value); }
    explicit operator bool() const { return ok(); }
    T& operator*() { return std::get<T>(m_value); }
    T const& operator*() const { return std::get<T>(m_value); }
    T* operator->() { return &std::get<T>(m_value); }
    T const* operator->() const { return &std::get<T>(m_value); }
    Failure const& failure() const { return std::get<Failure>(m_value); }

private:
    std::variant<T, Failure> m_value;
};

// A temporary failure "TEXT: REASON. (#CODE)", REASON being strerror or the Error's text.
Failure temp_error(std::string_view text, mta::Error error, std::string_view code = "4.3.0");

Failure perm_usage();
Failure temp_nomem();
Failure temp_rewind(mta::Error error);
Failure temp_read(mta::Error error);
Failure temp_fork(mta::Error error);
Failure temp_child_crashed();
Failure temp_chdir_home(std::string_view home, mta::Error error);
Failure temp_stat_home(mta::Error error);
Failure temp_home_writable();
Failure temp_home_sticky();
Failure perm_loop();
Failure temp_dot_qmail(std::string_view name, mta::Error error); // unable to open/stat/read
Failure temp_dot_qmail_writable();
Failure perm_no_mailbox();
Failure temp_blank_first_line();
Failure temp_forward_only(bool program);
// A .qmail line we refuse (limits, NUL bytes, an empty forward address): "why" names it.
Failure temp_bad_line(size_t line, std::string_view why);
Failure temp_dot_qmail_too_big();
Failure temp_maildir_chdir();
Failure temp_maildir(std::string_view dir, mta::Error error);
Failure temp_mbox_open(std::string_view path, mta::Error error);
Failure temp_mbox_write(std::string_view path, mta::Error error);
Failure temp_slowlock();
Failure temp_program();
Failure perm_program();
// The queue refused the forwarded copy: qq_text is QueueResult::text ('D' or 'Z' first).
Failure forward_failed(std::string_view qq_text);
Failure temp_environment(mta::Error error);

} // namespace local
