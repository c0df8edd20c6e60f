#!/bin/sh
# Writes lib/auto_conf.cpp's definitions from conf.mk's values (see Makefile).
set -eu
cat <<EOT
// Generated from conf.mk by tools/auto_conf.sh. Do not edit.
#include "auto_conf.hpp"

namespace mta::conf {
const char* const kUserAlias = "$1";
const char* const kUserDaemon = "$2";
const char* const kUserLog = "$3";
const char* const kUserPasswd = "$4";
const char* const kUserQueue = "$5";
const char* const kUserRemote = "$6";
const char* const kUserSend = "$7";
const char* const kUserVmail = "$8";
const char* const kGroupMail = "$9";
const char* const kGroupNofiles = "${10}";
const int kSplit = ${11};
} // namespace mta::conf
EOT
