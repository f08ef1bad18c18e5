# fuzz/: libFuzzer harnesses (clang) for the scenario loader, the wire
# format and the --set/--vary parsers.  `make fuzz` builds them with
# clang, -fsanitize=fuzzer,address,undefined and runs each for FUZZ_TIME
# seconds (default 60; the issue's runs used FUZZ_TIME=1800), seeded from
# scenarios/, real messages and fuzz/regress/; new crashes land in
# fuzz/artifacts/ in the build tree.  Needs clang and, on Debian,
# libclang-rt-14-dev.
#
# make check replays the saved crashing inputs (fuzz/regress/<harness>/)
# and the seeds through the same harness code built with the normal
# compiler (fuzz/replay.c): tests/fuzz-replay.sh.
FUZZ_CC = clang
FUZZ_TIME = 60
FUZZ_TARGETS = scenario wire args
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_SCENARIO_DEF = -DFUZZ_SCENARIO_DIR='"$(abs_top_srcdir)/scenarios"'

check_PROGRAMS += fuzz/replay_scenario fuzz/replay_wire fuzz/replay_args
fuzz_replay_scenario_SOURCES = fuzz/fuzz_scenario.c fuzz/replay.c fuzz/fuzz.h
fuzz_replay_scenario_LDADD = $(KMSIM_LIBS)
fuzz_replay_wire_SOURCES = fuzz/fuzz_wire.c fuzz/replay.c fuzz/fuzz.h
fuzz_replay_wire_CPPFLAGS = $(AM_CPPFLAGS) $(FUZZ_SCENARIO_DEF)
fuzz_replay_wire_LDADD = $(KMSIM_LIBS)
fuzz_replay_args_SOURCES = fuzz/fuzz_args.c fuzz/replay.c fuzz/fuzz.h
fuzz_replay_args_LDADD = $(KMSIM_LIBS)
# The wire harness again on the test build's library (tests/local.mk:
# locality check and nonce ledger): the fuzzer's worlds, with their
# injected, altered and insider messages, must not reuse a nonce either.
check_PROGRAMS += fuzz/replay_wire_ledger
fuzz_replay_wire_ledger_SOURCES = fuzz/fuzz_wire.c fuzz/replay.c fuzz/fuzz.h
fuzz_replay_wire_ledger_CPPFLAGS = $(AM_CPPFLAGS) $(FUZZ_SCENARIO_DEF) \
	-DKMSIM_LOCALITY -DKMSIM_NONCE_LEDGER
fuzz_replay_wire_ledger_LDADD = $(LOCAL_LIBS)
TESTS += tests/fuzz-replay.sh
dist_noinst_SCRIPTS += tests/fuzz-replay.sh fuzz/fuzz.sh
EXTRA_DIST += fuzz/regress

fuzz:
	@FUZZ_CC='$(FUZZ_CC)' FUZZ_CFLAGS='$(FUZZ_CFLAGS)' \
	FUZZ_TIME='$(FUZZ_TIME)' FUZZ_TARGETS='$(FUZZ_TARGETS)' \
	FUZZ_CPPFLAGS='-I$(abs_top_builddir) $(DEFS) -I$(abs_top_srcdir) -I$(abs_top_srcdir)/sim/engine -I$(abs_top_srcdir)/sim/scenario -I$(abs_top_srcdir)/sim/net -I$(abs_top_srcdir)/sim/attack -I$(abs_top_srcdir)/sim/proto -I$(abs_top_srcdir)/sim/run -I$(abs_top_srcdir)/sim/cli -I$(abs_top_srcdir)/crypto -I$(abs_top_srcdir)/analysis -DKMSIM_VERSION="$(PACKAGE_VERSION)" -DFUZZ_SCENARIO_DIR="$(abs_top_srcdir)/scenarios" $(SODIUM_CFLAGS) $(YAML_CFLAGS) $(GSL_CFLAGS) $(SQLITE3_CFLAGS) $(PCAP_CFLAGS)' \
	FUZZ_LIBS='$(SODIUM_LIBS) $(YAML_LIBS) $(GSL_LIBS) $(SQLITE3_LIBS) $(PCAP_LIBS) $(LIBS)' \
	FUZZ_SRCS='$(libkmsim_a_SOURCES)' top_srcdir='$(abs_top_srcdir)' \
	$(SHELL) $(srcdir)/fuzz/fuzz.sh
.PHONY: fuzz
