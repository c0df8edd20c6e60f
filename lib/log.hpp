// log - one-line diagnostics on fd 2 and the one place where main()'s failures become
// exit codes.
//
//     int main(int argc, char** argv)
//     {
//         return mta::run_main("mailctl", [&] { return run(argc, argv); });
//     }
//
// Lines look like "mailctl: warning: text: strerror". warn() prints and returns;
// fatal() prints and exits with the code given (a configuration or environment
// problem); bug() prints and aborts (an inconsistency that must never happen).
// run_main() sets the program name, runs the body, and turns std::bad_alloc into
// exit 111 "out of memory (#4.3.0)" and any other escaping exception into bug().
#pragma once

#include "error.hpp"

#include <functional>
#include <string_view>

namespace mta::log {

void set_program(const char* name);
const char* program();

void warn(std::string_view text);
void warn(std::string_view text, Error error);
[[noreturn]] void fatal(int exit_code, std::string_view text);
[[noreturn]] void fatal(int exit_code, std::string_view text, Error error);
[[noreturn]] void bug(std::string_view text);

} // namespace mta::log

namespace mta {

int run_main(const char* program, std::function<int()> const& body);

} // namespace mta
