# mail-suite top-level build. Non-recursive: every folder's sources are listed here by
# pattern. `make help` lists the targets.

include conf.mk
export USER_ALIAS USER_DAEMON USER_LOG USER_PASSWD USER_QUEUE USER_REMOTE USER_SEND USER_VMAIL GROUP_MAIL GROUP_NOFILES

SAN ?= 0
ifeq ($(SAN),1)
BUILD ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT := -O1
else
BUILD ?= build
SANFLAGS :=
OPT := -O2
endif

CXX ?= g++
CXXFLAGS ?= $(OPT) -g
WARNINGS := -Wall -Wextra -Wshadow -Werror
ALL_CXXFLAGS := -std=c++20 $(WARNINGS) $(SANFLAGS) -MMD -MP -Ilib -Itests/unit -I$(BUILD)/gen $(CXXFLAGS)
LDFLAGS += $(SANFLAGS)
LIBS := -lcdb -lcrypt
SSL_LIBS := -lssl -lcrypto
DNS_LIBS := -lunbound

# Folders that hold programs: every folder with a DIR/NAME_main.cpp, which holds main()
# of program NAME; the other non-test .cpp files of DIR are modules shared by the
# programs of DIR.
PROGRAM_DIRS := $(sort $(patsubst %/,%,$(dir $(wildcard */*_main.cpp))))
# Programs built but not installed into ROOT/bin (build tools).
NOINST := instdir
# Programs that speak TLS or make keys.
SSL_PROGRAMS := mailctl smtpd remote rspawn pop3d imapd
# Programs that resolve names (libunbound).
DNS_PROGRAMS := remote rspawn
# Other folders' module archives a program links too: rspawn runs remote's delivery code
# in forked children instead of exec'ing bin/remote (docs/remote.md).
EXTRA_ARCHIVES_rspawn := remote
# lspawn runs local's delivery code in a forked child as the recipient (docs/INTERNALS.md).
EXTRA_ARCHIVES_lspawn := local

LIB_SRCS := $(filter-out %_test.cpp,$(wildcard lib/*.cpp))
LIB_OBJS := $(LIB_SRCS:%.cpp=$(BUILD)/%.o) $(BUILD)/gen/auto_conf.o
LIBMTA := $(BUILD)/libmta.a

MAIN_SRCS := $(foreach d,$(PROGRAM_DIRS),$(wildcard $(d)/*_main.cpp))
PROGRAMS := $(patsubst %_main,%,$(basename $(notdir $(MAIN_SRCS))))
BINS := $(PROGRAMS:%=$(BUILD)/bin/%)
MODULE_SRCS = $(filter-out %_test.cpp %_main.cpp,$(wildcard $(1)/*.cpp))
ALL_MODULE_OBJS := $(foreach d,$(PROGRAM_DIRS),$(patsubst %.cpp,$(BUILD)/%.o,$(call MODULE_SRCS,$(d))))

TEST_SRCS := tests/unit/catch_main.cpp $(wildcard lib/*_test.cpp) \
	$(foreach d,$(PROGRAM_DIRS),$(wildcard $(d)/*_test.cpp))
TEST_OBJS := $(TEST_SRCS:%.cpp=$(BUILD)/%.o)
UNIT := $(BUILD)/tests/unit_tests

.PHONY: all deps test-deps test check itest install run fmt tidy fuzz clean help
all: $(BINS) $(UNIT)

help:
	@echo 'make            build every program and the unit tests'
	@echo 'make test       install dependencies, build, run every suite (SAN=1: ASan+UBSan)'
	@echo 'make install    install into ROOT (default $(ROOT))'
	@echo 'make run        install, configure (mailctl init) and start the mail system'
	@echo 'make fuzz       build the libFuzzer targets (clang)'
	@echo 'make fmt        clang-format every source file'

$(BUILD)/gen/auto_conf.cpp: conf.mk tools/auto_conf.sh
	@mkdir -p $(dir $@)
	sh tools/auto_conf.sh '$(USER_ALIAS)' '$(USER_DAEMON)' '$(USER_LOG)' '$(USER_PASSWD)' \
		'$(USER_QUEUE)' '$(USER_REMOTE)' '$(USER_SEND)' '$(USER_VMAIL)' \
		'$(GROUP_MAIL)' '$(GROUP_NOFILES)' '$(SPLIT)' > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/%.o: $(BUILD)/gen/%.cpp
	$(CXX) $(ALL_CXXFLAGS) -c -o $@ $<

$(BUILD)/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(ALL_CXXFLAGS) -c -o $@ $<

$(LIBMTA): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

# Each folder's modules go into an archive, so a program links only what it uses.
define folder_rule
$(BUILD)/$(1)/lib$(1).a: $(patsubst %.cpp,$(BUILD)/%.o,$(call MODULE_SRCS,$(1)))
	@rm -f $$@
	ar rcs $$@ $$^
endef
$(foreach d,$(PROGRAM_DIRS),$(eval $(call folder_rule,$(d))))

# bin/NAME: DIR/NAME_main.o + DIR's module archive + libmta.a
define program_rule
$(BUILD)/bin/$(1): $(BUILD)/$(2)/$(1)_main.o $(BUILD)/$(2)/lib$(2).a $(foreach a,$(EXTRA_ARCHIVES_$(1)),$(BUILD)/$(a)/lib$(a).a) $(LIBMTA)
	@mkdir -p $$(dir $$@)
	$$(CXX) $$(LDFLAGS) -o $$@ $$^ $$(LIBS) $(if $(filter $(1),$(SSL_PROGRAMS)),$$(SSL_LIBS)) $(if $(filter $(1),$(DNS_PROGRAMS)),$$(DNS_LIBS))
endef
$(foreach m,$(MAIN_SRCS),$(eval $(call program_rule,$(patsubst %_main,%,$(basename $(notdir $(m)))),$(patsubst %/,%,$(dir $(m))))))

# Programs started once per message or connection start faster with libstdc++ linked in
# (measured for queue: 1.36x the injection rate, 1 MiB less memory; bench/RESULTS.md;
# pop3d: 5.8 -> 3.4 MiB).
FAST_START_PROGRAMS := inject local pop3d remote
# smtpd, started once per SMTP connection, is linked fully static, libssl and libcrypto
# included: its start-up CPU falls from 1.74 ms (7 shared libraries, libcrypto's
# relocations) to 0.41 ms (/bin/true: 0.38); bench/RESULTS.md, issue 5. Only for programs
# that never resolve names or accounts at run time (getpwnam, getgrnam, getaddrinfo: a
# static glibc cannot load NSS modules). ld warns that such functions are linked in (with
# lib/privs.o and libcrypto); smtpd never calls them (checked with strace: no nsswitch.conf,
# passwd or hosts is opened). The warnings stay visible: ld's -w would hide errors too.
# queue, started once per message, too (1.03 -> 0.75 ms of CPU per 4 KB message): its
# Received line's accounts come from /etc/passwd read by lib/passwd_file, so it links no
# NSS code and ld gives no warning for it.
STATIC_PROGRAMS := smtpd queue
# lspawn and rspawn fork a child per delivery that runs code linked into them (local's,
# remote's): with libstdc++ linked in and every symbol bound at start (-z now), no child
# resolves symbols lazily again (0.45 -> 0.37 ms of CPU per lspawn delivery that writes
# nothing, bench/delivery/lspawn_cpu.py --null).
FORKING_SPAWNERS := lspawn rspawn
ifneq ($(SAN),1)
$(FAST_START_PROGRAMS:%=$(BUILD)/bin/%) $(FORKING_SPAWNERS:%=$(BUILD)/bin/%): LDFLAGS += -static-libstdc++ -static-libgcc
$(FORKING_SPAWNERS:%=$(BUILD)/bin/%): LDFLAGS += -Wl,-z,now
$(STATIC_PROGRAMS:%=$(BUILD)/bin/%): LDFLAGS += -static
endif

$(UNIT): $(TEST_OBJS) $(ALL_MODULE_OBJS) $(LIBMTA)
	@mkdir -p $(dir $@)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS) $(SSL_LIBS) $(DNS_LIBS)

deps:
	@sh tools/deps.sh

test-deps:
	@sh tools/deps.sh test

# make test: dependencies, build, every suite, one closing line "N passed, N failed".
JOBS ?= $(shell nproc)
test: test-deps
	$(MAKE) -j$(JOBS) all SAN=$(SAN)
	$(if $(filter 1,$(SAN)),,$(MAKE) -j$(JOBS) fuzz)
	python3 tests/run.py --build $(BUILD) --san $(SAN)

check: all
	python3 tests/run.py --build $(BUILD) --san $(SAN) --only unit

itest: all
	python3 tests/run.py --build $(BUILD) --san $(SAN) --only integration

install: all
	sh tools/install.sh '$(ROOT)' '$(BUILD)' '$(filter-out $(NOINST),$(PROGRAMS))'

run: deps
	$(MAKE) -j$(JOBS) all SAN=$(SAN)
	$(MAKE) install SAN=$(SAN)
	sh tools/run.sh '$(ROOT)'

# libFuzzer targets, one per parser of untrusted input (clang only). The library is
# compiled once with coverage instrumentation into its own archive.
FUZZ_BUILD := build-fuzz
FUZZ_CXX := clang++
FUZZ_SAN := address,undefined -fno-sanitize-recover=all
FUZZ_FLAGS := -std=c++20 -g -O1 -MMD -MP -Ilib -I$(FUZZ_BUILD)/gen -fsanitize=fuzzer-no-link,$(FUZZ_SAN)
FUZZ_SRCS := $(wildcard fuzz/*_fuzz.cpp)
FUZZ_BINS := $(FUZZ_SRCS:fuzz/%.cpp=$(FUZZ_BUILD)/%)
FUZZ_LIB := $(FUZZ_BUILD)/libmta.a
FUZZ_LIB_OBJS := $(LIB_SRCS:%.cpp=$(FUZZ_BUILD)/%.o) $(FUZZ_BUILD)/gen/auto_conf.o
# Program modules (parsers of .qmail lines, headers...) for the targets that need them.
FUZZ_MODULES := $(FUZZ_BUILD)/libmodules.a
FUZZ_MODULE_OBJS := $(foreach d,$(PROGRAM_DIRS),$(patsubst %.cpp,$(FUZZ_BUILD)/%.o,$(call MODULE_SRCS,$(d))))
.SECONDARY: $(FUZZ_SRCS:fuzz/%.cpp=$(FUZZ_BUILD)/fuzz/%.o)
fuzz: $(FUZZ_BINS)
	@true
$(FUZZ_BUILD)/gen/auto_conf.cpp: $(BUILD)/gen/auto_conf.cpp
	@mkdir -p $(dir $@)
	cp $< $@
$(FUZZ_BUILD)/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -c -o $@ $<
$(FUZZ_BUILD)/gen/auto_conf.o: $(FUZZ_BUILD)/gen/auto_conf.cpp
	$(FUZZ_CXX) $(FUZZ_FLAGS) -c -o $@ $<
$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^
$(FUZZ_MODULES): $(FUZZ_MODULE_OBJS)
	@rm -f $@
	ar rcs $@ $^
$(FUZZ_BUILD)/%_fuzz: $(FUZZ_BUILD)/fuzz/%_fuzz.o $(FUZZ_MODULES) $(FUZZ_LIB)
	$(FUZZ_CXX) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $^ $(LIBS) $(SSL_LIBS) $(DNS_LIBS)

fmt:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

tidy: $(BUILD)/gen/auto_conf.cpp
	clang-tidy --quiet $(LIB_SRCS) $(foreach d,$(PROGRAM_DIRS),$(wildcard $(d)/*.cpp)) -- \
		-std=c++20 -Ilib -I$(BUILD)/gen

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD) $(FUZZ_BUILD) -name '*.d' 2>/dev/null)

# g++ 12 at -O1 warns falsely inside Catch2's main.
$(BUILD)/tests/unit/catch_main.o: ALL_CXXFLAGS += -Wno-maybe-uninitialized
