// bounce - sends the bounce of a finished message: bounce/N, info/N and mess/N become
// one RFC 3464 notification (dsn.hpp) injected through the queue program.
//
//     if (!send::inject_bounce(root, config, id, ::time(nullptr), log))
//         try_again_later(id);                        // a warning line says why
//
// Who gets it (qmail-send's rules): the original sender, from the null sender "";
// a message whose sender was "" (a bounce) gives a double bounce to
// doublebounceto@doublebouncehost from "#@[]"; a message from "#@[]" (a double bounce)
// gives nothing: "triple bounce: discarding bounce/N". A VERP sender "prefix-@host-@[]"
// is bounced to "prefix-@host". Log: "bounce msg N qp Q" with the queue program's pid.
// The message goes back whole up to kMaxReturnedMessage bytes, else its header only.
#pragma once

#include "activity_log.hpp"
#include "config.hpp"

#include <ctime>
#include <string>

namespace send {

// True when bounce/N is dealt with (injected or discarded, then removed) or there is
// none; false when it must be tried again later.
bool inject_bounce(
    std::string const& root, Config const& config, unsigned long id, time_t now, ActivityLog& log);

} // namespace send
