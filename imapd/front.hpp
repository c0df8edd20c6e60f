// front - the pre-login process of an IMAP connection (`imapd --front plain|tls`), as msd:
// greeting, CAPABILITY, STARTTLS or implicit TLS, LOGIN and AUTHENTICATE PLAIN, each
// login checked by the monitor (lib/login_front.hpp), then a relay between the client
// and the session process. See docs/imap.md.
#pragma once

namespace imapd {

// Returns the exit code once the connection is over.
int run_front(bool implicit_tls);

} // namespace imapd
