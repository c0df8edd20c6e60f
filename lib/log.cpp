#include "log.hpp"

#include "exit_codes.hpp"

#include <cstdlib>
#include <exception>
#include <new>
#include <string>
#include <unistd.h>

namespace mta::log {

namespace {

const char* g_program = "mail-suite";

void write_line(std::string_view kind, std::string_view text, Error const* error)
{
    std::string line = g_program;
    line += ": ";
    line += kind;
    line += text;
    if (error) {
        line += ": ";
        line += error->text();
    }
    line += '\n';
    std::string_view rest = line;
    while (!rest.empty()) {
        ssize_t n = ::write(2, rest.data(), rest.size());
        if (n <= 0 && errno != EINTR)
            return;
        if (n > 0)
            rest.remove_prefix(static_cast<size_t>(n));
    }
}

} // namespace

void set_program(const char* name)
{
    g_program = name;
}
const char* program()
{
    return g_program;
}

void warn(std::string_view text)
{
    write_line("warning: ", text, nullptr);
}
void warn(std::string_view text, Error error)
{
    write_line("warning: ", text, &error);
}

void fatal(int exit_code, std::string_view text)
{
    write_line("fatal: ", text, nullptr);
    _exit(exit_code);
}

void fatal(int exit_code, std::string_view text, Error error)
{
    write_line("fatal: ", text, &error);
    _exit(exit_code);
}

void bug(std::string_view text)
{
    write_line("bug: ", text, nullptr);
    std::abort();
}

} // namespace mta::log

namespace mta {

int run_main(const char* program, std::function<int()> const& body)
{
    log::set_program(program);
    try {
        return body();
    } catch (std::bad_alloc const&) {
        log::fatal(kExitTemp, "out of memory (#4.3.0)");
    } catch (std::exception const& e) {
        log::bug(std::string("unexpected exception: ") + e.what());
    }
}

} // namespace mta
