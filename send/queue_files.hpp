// queue_files - send's view of the queue files: the two delivery channels, the paths of
// a message's files, the message reference the spawners get, and info/N.
//
//     // after chdir(ROOT/queue):
//     std::string path = send::channel_path(send::Channel::remote, 12345); // "remote/17/12345"
//     std::string ref = send::message_ref(12345);                          // "17/12345"
//     auto info = send::read_info(12345);            // sender and birth of a message
//     if (!info) warn(info.error());                 // "unable to read info/N", ...
//
// Paths are relative to ROOT/queue (lib/queue_paths.hpp has the layout). read_info
// returns an Error whose text names the step ("unable to open info/N", "unable to read
// info/N", "no sender record in info/N").
#pragma once

#include "error.hpp"

#include <ctime>
#include <string>
#include <string_view>

namespace send {

enum class Channel { local = 0, remote = 1 };
inline constexpr int kChannels = 2;
inline constexpr Channel kAllChannels[] = { Channel::local, Channel::remote };

inline int index_of(Channel c)
{
    return static_cast<int>(c);
}

// "local" or "remote": the queue folder and the word in log lines.
std::string_view channel_name(Channel c);
// local/(N % split)/N or remote/(N % split)/N.
std::string channel_path(Channel c, unsigned long id);
// The message as the spawners name it, relative to queue/mess: "(N % split)/N".
std::string message_ref(unsigned long id);
std::string number(unsigned long n);

struct Info {
    std::string sender; // the F record, without the F
    time_t birth = 0; // mtime of info/N: when the message was preprocessed
};

// The first record of info/N (it must be F) and the file's mtime.
mta::Result<Info> read_info(unsigned long id);

} // namespace send
