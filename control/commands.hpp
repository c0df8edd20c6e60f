// commands - mailctl's command table: each command's name, help text and entry point.
//
//     admin::Command const* c = admin::find_command("check");
//     int code = c->run(root, args);
//
// Commands print their own diagnostics and return an exit code (0, 100, 111).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace admin {

using Args = std::vector<std::string>;

struct Command {
    const char* name;
    const char* summary;
    const char* help;
    int (*run)(std::string const& root, Args const& args);
};

Command const* find_command(std::string_view name);
const char* main_help();
// Prints the help of one command; 100 when there is no such command.
int print_help(std::string_view name);
// True when args ask for help (--help or -h anywhere).
bool wants_help(Args const& args);

int run_init(std::string const& root, Args const& args);
int run_check(std::string const& root, Args const& args);
int run_queue(std::string const& root, Args const& args);
int run_flush(std::string const& root, Args const& args);
int run_start(std::string const& root, Args const& args);
int run_stop(std::string const& root, Args const& args);
int run_restart(std::string const& root, Args const& args);
int run_status(std::string const& root, Args const& args);
int run_domain(std::string const& root, Args const& args);
int run_user(std::string const& root, Args const& args);
int run_alias(std::string const& root, Args const& args);
int run_cdb(std::string const& root, Args const& args);

} // namespace admin
