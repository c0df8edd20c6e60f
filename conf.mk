# Build-time settings, in the spirit of qmail's conf-* files.
# Every value can be overridden on the make command line (make ROOT=/opt/ms).

# Where `make install` and `make run` put the tree. Programs find the root from
# their own location at run time (bin/..), so this is only the default target.
ROOT ?= /var/mail-suite

# Accounts and groups (DESIGN section 2). `make install` creates the missing ones
# when run as root.
USER_ALIAS ?= msalias
USER_DAEMON ?= msd
USER_LOG ?= msl
USER_PASSWD ?= msp
USER_QUEUE ?= msq
USER_REMOTE ?= msr
USER_SEND ?= mss
USER_VMAIL ?= msvmail
GROUP_MAIL ?= mailsuite
GROUP_NOFILES ?= msnofiles

# Queue hashing: split directories have subdirectories 0..SPLIT-1.
SPLIT ?= 23
