// error - failures as values: Error, Result<T> and the errno classifier.
//
// Library code never exits, prints or throws on an expected failure; it returns a
// Result<T> holding either the value or an Error (errno plus a static text naming the
// step that failed). Programs decide what a failure means for them.
//
//     mta::Result<mta::Fd> r = mta::open_read("control/me");
//     if (!r) return r.error();          // pass it up
//     use(*r);
//
// An Error with errnum 0 is not a system error (a syntax error, a limit); its text says
// everything. is_temporary() is the one place where an errno is classified.
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace mta {

struct Error {
    int errnum = 0; // errno value, or 0 when the failure is not a system error
    const char* what = ""; // static text naming what failed, e.g. "unable to open"

    // An Error from the current errno.
    static Error from_errno(const char* what) { return Error { errno, what }; }
    // An Error that is not a system error (a syntax error, a limit).
    static Error plain(const char* what) { return Error { 0, what }; }

    // "what: strerror" or just "what".
    std::string text() const;
};

// True when the errno names a condition that may go away by itself (out of memory, a
// full disk, a timeout, a network failure), so the operation should be retried later.
bool is_temporary(int errnum);

template <class T> class [[nodiscard]] Result {
public:
    Result(T value)
        : m_value(std::move(value))
    {
    }
    Result(Error error)
        : m_value(error)
    {
    }

    bool ok() const { return std::holds_alternative<T>(m_value); }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<T>(m_value); }
    T const& value() const& { return std::get<T>(m_value); }
    T&& value() && { return std::get<T>(std::move(m_value)); }
    T& operator*() & { return value(); }
    T const& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    T const* operator->() const { return &value(); }

    Error error() const { return std::get<Error>(m_value); }

private:
    std::variant<T, Error> m_value;
};

template <> class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error)
        : m_error(error)
        , m_ok(false)
    {
    }

    bool ok() const { return m_ok; }
    explicit operator bool() const { return m_ok; }
    Error error() const { return m_error; }

private:
    Error m_error {};
    bool m_ok = true;
};

using Status = Result<void>;

} // namespace mta
