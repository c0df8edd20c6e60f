// run - the steps of inject's main(), each ending the program with the documented exit
// code and one line on stderr when it fails (100 permanent: usage, a header or address
// that cannot be parsed, no recipients, a permanent queue refusal; 111 temporary:
// unreadable control files, read or write errors, the queue program's temporary
// failures).
//
//     auto const options = inject::options_or_die(argc, argv);
//     auto const setup = inject::setup_or_die(root, options);
//     mta::Reader in(0);
//     auto const header = inject::header_or_die(in);
//     auto const message = inject::message_or_die(header, setup);
//     auto const recipients = inject::recipients_or_die(options, setup, message);
//     return options.print ? inject::print_message(message, header, in)
//                          : inject::queue_message(root, message, recipients, header, in);
#pragma once

#include "buffer.hpp"
#include "input.hpp"
#include "message.hpp"
#include "options.hpp"
#include "rewrite.hpp"

#include <string>
#include <vector>

namespace inject {

// Everything read before the message: controls, environment, rewritten arguments.
struct Setup {
    Rewriter rewriter;
    MessageSettings settings;
    std::vector<std::string> argument_recipients;
};

Options options_or_die(int argc, char** argv);
std::string root_or_die();
Setup setup_or_die(std::string const& root, Options const& options);
HeaderSection header_or_die(mta::Reader& in);
Message message_or_die(HeaderSection const& header, Setup const& setup);
std::vector<std::string> recipients_or_die(
    Options const& options, Setup const& setup, Message const& message);

// -n: "Return-Path: <sender>", the header and the body on standard output.
int print_message(Message const& message, HeaderSection const& header, mta::Reader& in);
// The message and its envelope through the queue program.
int queue_message(std::string const& root, Message const& message,
    std::vector<std::string> const& recipients, HeaderSection const& header, mta::Reader& in);

} // namespace inject
