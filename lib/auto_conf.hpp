// auto_conf - build-time facts from conf.mk: account names and the queue split.
//
// The definitions are generated into build/gen/auto_conf.cpp by tools/auto_conf.sh, as
// notqmail turns conf-users into auto_uids.c. Programs look the names up at run time
// (getpwnam), so the numeric ids may differ between machines.
#pragma once

namespace mta::conf {

extern const char* const kUserAlias; // owns alias/, delivers postmaster's mail
extern const char* const kUserDaemon; // smtpd, pop3d/imapd before login
extern const char* const kUserLog; // multilog
extern const char* const kUserPasswd; // auth (password lookups)
extern const char* const kUserQueue; // owns the queue; queue is setuid to it
extern const char* const kUserRemote; // rspawn, remote
extern const char* const kUserSend; // send (the scheduler)
extern const char* const kUserVmail; // owns domains/ (virtual mailboxes)
extern const char* const kGroupMail; // group of the queue accounts
extern const char* const kGroupNofiles; // group of accounts that own no files
extern const int kSplit; // queue hash: subdirectories 0..kSplit-1

} // namespace mta::conf
