// service_dirs - the supervised services of an install (DESIGN section 8), written by
// `mailctl init`: ROOT/service/send (start, which becomes send) and one directory per
// listener in control/services whose program is installed (smtp, submission and smtps
// run tcpserver + smtpd; pop3/imap listeners are skipped until their programs exist),
// each with `run` and `log/run` (multilog as the log account into ROOT/log/NAME), plus
// the default tcpserver rules control/tcp.smtp and their cdb.
//
//     admin::write_service_dirs(root);      // prints "wrote ..." / "kept ..." lines
//
// A service directory is built as service/.NAME.tmp and renamed into place, so svscan
// never sees half of one; an existing one is kept as it is (operators edit run
// scripts). The script texts come from the pure *_run_script() functions.
#pragma once

#include "services.hpp"

#include <string>

namespace admin {

// `sh` quoting: 'text' with each ' written as '\''.
std::string shell_quote(std::string const& text);

std::string send_run_script(std::string const& root);
std::string log_run_script(std::string const& root, std::string const& name);
// memory_limit: bytes for softlimit -m, 0 for none.
std::string listener_run_script(std::string const& root, Listen const& listen, long memory_limit);

// Writes whatever is missing; fatal (111) when something cannot be written.
void write_service_dirs(std::string const& root);

} // namespace admin
