# tests/: one CUnit program per module, plus scenario regression tests.
TEST_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_SRCDIR='"$(abs_top_srcdir)"' \
	-DTEST_BUILDDIR='"$(abs_top_builddir)"'
TEST_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
TEST_LIBS = $(KMSIM_LIBS) $(CUNIT_LIBS)

UNIT_TESTS = \
	tests/test_cry tests/test_sched tests/test_rng tests/test_units \
	tests/test_dist tests/test_scenario tests/test_topo tests/test_topic \
	tests/test_stats tests/test_qtheory tests/test_metrics tests/test_csv \
	tests/test_world tests/test_queue tests/test_run tests/test_kmap tests/test_cry_key \
	tests/test_wire tests/test_dini tests/test_dipietro tests/test_eg tests/test_netkey tests/test_pairwise \
	tests/test_attack

check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS) tests/regress.sh tests/cli.sh tests/sweep-mpi.sh tests/man.sh \
	tests/install.sh tests/readme.sh
dist_noinst_SCRIPTS += tests/regress.sh tests/cli.sh tests/sweep-mpi.sh tests/man.sh \
	tests/install.sh tests/readme.sh
EXTRA_DIST += tests/cutest.h tests/tworld.h tests/data tests/expected
AM_TESTS_ENVIRONMENT = top_srcdir='$(abs_top_srcdir)' \
	top_builddir='$(abs_top_builddir)' with_mpi='$(WITH_MPI)' \
	KMSIM_VALGRIND='$(KMSIM_VALGRIND)'; \
	export top_srcdir top_builddir with_mpi KMSIM_VALGRIND;
# Shell tests run under $(SHELL); the CUnit programs directly, or under
# valgrind memcheck with `make check-valgrind` (every program, and kmsim
# wherever the shell tests run it).
TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = $(SHELL)
KMSIM_VALGRIND =
dist_noinst_SCRIPTS += tests/valgrind.sh tests/kmsim-valgrind.sh
check-valgrind:
	$(MAKE) $(AM_MAKEFLAGS) check KMSIM_VALGRIND=1 \
		LOG_COMPILER='$(SHELL) $(abs_top_srcdir)/tests/valgrind.sh'
.PHONY: check-valgrind

tests_test_cry_SOURCES = tests/test_cry.c
tests_test_sched_SOURCES = tests/test_sched.c tests/test_sched_part.c tests/sched_t.h
tests_test_rng_SOURCES = tests/test_rng.c
tests_test_units_SOURCES = tests/test_units.c
tests_test_dist_SOURCES = tests/test_dist.c
tests_test_scenario_SOURCES = tests/test_scenario.c tests/test_scenario_reader.c \
	tests/scenario_t.h
tests_test_topo_SOURCES = tests/test_topo.c
tests_test_topic_SOURCES = tests/test_topic.c
tests_test_stats_SOURCES = tests/test_stats.c
tests_test_qtheory_SOURCES = tests/test_qtheory.c
tests_test_metrics_SOURCES = tests/test_metrics.c
tests_test_csv_SOURCES = tests/test_csv.c
tests_test_world_SOURCES = tests/test_world.c tests/test_world_moves.c \
	tests/test_world_threads.c tests/test_world_route.c tests/world_t.h \
	tests/tworld.h
tests_test_queue_SOURCES = tests/test_queue.c
tests_test_kmap_SOURCES = tests/test_kmap.c
tests_test_run_SOURCES = tests/test_run.c
tests_test_cry_key_SOURCES = tests/test_cry_key.c tests/wipelog.h
tests_test_wire_SOURCES = tests/test_wire.c
tests_test_dini_SOURCES = tests/test_dini.c tests/test_dini_setup.c \
	tests/test_dini_search.c tests/test_dini_replace.c tests/test_dini_move.c \
	tests/test_dini_atk.c tests/dini_t.h tests/wipelog.h
tests_test_dipietro_SOURCES = tests/test_dipietro.c tests/wipelog.h
tests_test_eg_SOURCES = tests/test_eg.c tests/test_eg_adversary.c \
	tests/test_eg_search.c tests/eg_t.h tests/tworld.h tests/wipelog.h
tests_test_netkey_SOURCES = tests/test_netkey.c tests/baseline_tw.h tests/tworld.h tests/wipelog.h
tests_test_pairwise_SOURCES = tests/test_pairwise.c tests/baseline_tw.h tests/tworld.h tests/wipelog.h

tests_test_cry_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_sched_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_rng_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_units_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_dist_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_scenario_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_topo_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_topic_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_stats_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_qtheory_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_metrics_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_csv_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_world_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_queue_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_kmap_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_run_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_cry_key_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_wire_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_dini_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_dipietro_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_eg_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_netkey_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_pairwise_CPPFLAGS = $(TEST_CPPFLAGS)

tests_test_cry_CFLAGS = $(TEST_CFLAGS)
# -pthread: test_two_threads runs two schedulers on two threads.
tests_test_sched_CFLAGS = $(TEST_CFLAGS) -pthread
tests_test_rng_CFLAGS = $(TEST_CFLAGS)
tests_test_units_CFLAGS = $(TEST_CFLAGS)
tests_test_dist_CFLAGS = $(TEST_CFLAGS)
tests_test_scenario_CFLAGS = $(TEST_CFLAGS)
tests_test_topo_CFLAGS = $(TEST_CFLAGS)
tests_test_topic_CFLAGS = $(TEST_CFLAGS)
tests_test_stats_CFLAGS = $(TEST_CFLAGS)
tests_test_qtheory_CFLAGS = $(TEST_CFLAGS)
tests_test_metrics_CFLAGS = $(TEST_CFLAGS)
tests_test_csv_CFLAGS = $(TEST_CFLAGS)
tests_test_world_CFLAGS = $(TEST_CFLAGS)
tests_test_queue_CFLAGS = $(TEST_CFLAGS)
tests_test_kmap_CFLAGS = $(TEST_CFLAGS)
tests_test_run_CFLAGS = $(TEST_CFLAGS)
tests_test_cry_key_CFLAGS = $(TEST_CFLAGS)
tests_test_wire_CFLAGS = $(TEST_CFLAGS)
tests_test_dini_CFLAGS = $(TEST_CFLAGS)
tests_test_dipietro_CFLAGS = $(TEST_CFLAGS)
tests_test_eg_CFLAGS = $(TEST_CFLAGS)
tests_test_netkey_CFLAGS = $(TEST_CFLAGS)
tests_test_pairwise_CFLAGS = $(TEST_CFLAGS)

tests_test_cry_LDADD = $(TEST_LIBS)
tests_test_sched_LDADD = $(TEST_LIBS)
tests_test_rng_LDADD = $(TEST_LIBS)
tests_test_units_LDADD = $(TEST_LIBS)
tests_test_dist_LDADD = $(TEST_LIBS)
tests_test_scenario_LDADD = $(TEST_LIBS)
tests_test_topo_LDADD = $(TEST_LIBS)
tests_test_topic_LDADD = $(TEST_LIBS)
tests_test_stats_LDADD = $(TEST_LIBS)
tests_test_qtheory_LDADD = $(TEST_LIBS)
tests_test_metrics_LDADD = $(TEST_LIBS)
tests_test_csv_LDADD = $(TEST_LIBS)
tests_test_world_LDADD = $(TEST_LIBS)
tests_test_queue_LDADD = $(TEST_LIBS)
tests_test_kmap_LDADD = $(TEST_LIBS)
tests_test_run_LDADD = $(TEST_LIBS)
tests_test_cry_key_LDADD = $(TEST_LIBS)
tests_test_wire_LDADD = $(TEST_LIBS)
tests_test_dini_LDADD = $(TEST_LIBS)
tests_test_dipietro_LDADD = $(TEST_LIBS)
tests_test_eg_LDADD = $(TEST_LIBS)
tests_test_netkey_LDADD = $(TEST_LIBS)
tests_test_pairwise_LDADD = $(TEST_LIBS)

# The scheduler again, with a tiny sequence-number limit so that the rare
# renumbering of queued keys (every ~4e9 schedules in real runs) is tested.
check_PROGRAMS += tests/test_sched_renumber
TESTS += tests/test_sched_renumber
tests_test_sched_renumber_SOURCES = tests/test_sched.c tests/test_sched_part.c tests/sched_t.h \
	sim/engine/sched.c sim/engine/util.c
tests_test_sched_renumber_CPPFLAGS = $(TEST_CPPFLAGS) \
	-DSIM_SCHED_SEQ_LIMIT=110000
tests_test_sched_renumber_CFLAGS = $(TEST_CFLAGS) -pthread
tests_test_sched_renumber_LDADD = $(CUNIT_LIBS) $(GSL_LIBS) $(LIBS)

# --threads 2 across renumberings (sim/THREADS.md 4.5): the world and the
# protocols from the library, sim/engine/sched.c compiled again with a tiny limit
# (its objects come first, so the library's sched.o is not linked), so
# that one-thread and split runs of small scenarios renumber many times.
check_PROGRAMS += tests/test_world_renumber
TESTS += tests/test_world_renumber
tests_test_world_renumber_SOURCES = tests/test_world_renumber.c tests/tworld.h sim/engine/sched.c
tests_test_world_renumber_CPPFLAGS = $(TEST_CPPFLAGS) \
	-DSIM_SCHED_SEQ_LIMIT=1000
tests_test_world_renumber_CFLAGS = $(TEST_CFLAGS)
tests_test_world_renumber_LDADD = $(TEST_LIBS)

tests_test_attack_SOURCES = tests/test_attack.c tests/tworld.h
tests_test_attack_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_attack_CFLAGS = $(TEST_CFLAGS)
tests_test_attack_LDADD = $(TEST_LIBS)

# kmsim-plot on a small summary.csv (tests/data/plot); skips without gnuplot.
TESTS += tests/plot.sh
dist_noinst_SCRIPTS += tests/plot.sh

# p50/p95/p99 from the histograms (issue 23): mm1-seed000's SO sojourn
# against the M/M/1 quantiles ln(1/(1-p))/(mu - lambda).
TESTS += tests/percentiles.sh
dist_noinst_SCRIPTS += tests/percentiles.sh

# kmsim sweep: expansion, errors, seeds, selection, --jobs, resume, a
# crashed worker (CUnit); kill-and-resume on the real binary (shell).
UNIT_TESTS += tests/test_sweep
tests_test_sweep_SOURCES = tests/test_sweep.c tests/test_sweep_run.c tests/sweep_t.h
tests_test_sweep_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_sweep_CFLAGS = $(TEST_CFLAGS)
tests_test_sweep_LDADD = $(TEST_LIBS)
TESTS += tests/sweep.sh
dist_noinst_SCRIPTS += tests/sweep.sh

# --threads 2 (kmsim extension, sim/THREADS.md): every shipped scenario
# with --threads 1 and 2, every CSV byte-identical where two threads are
# accepted, a documented one-line refusal (exit 2, nothing written) where
# not; compare and sweep once each.  tests/tsan.sh (not in TESTS: a
# second, ThreadSanitizer build) runs test_world and kmsim --threads 2
# under -fsanitize=thread; .ci/run runs it.
TESTS += tests/threads.sh
dist_noinst_SCRIPTS += tests/threads.sh tests/tsan.sh

# --series (kmsim extension, issue 23): series.csv's rows of every
# required quantity, sums over intervals against runs.csv, the other CSVs
# unchanged, --threads 2 identical, compare and sweep, bad values.
TESTS += tests/series.sh
dist_noinst_SCRIPTS += tests/series.sh

# The malformed-scenario corpus: every file of tests/malformed, and the
# huge inputs the script makes, fails with exit 2 and exactly its
# one-line message from tests/malformed/EXPECTED, writing nothing.
TESTS += tests/malformed.sh
dist_noinst_SCRIPTS += tests/malformed.sh
EXTRA_DIST += tests/malformed

# Faults while running: --out that cannot be written, a full disk (tmpfs,
# as root) and ulimit -f, SIGINT/SIGTERM during run, compare and sweep,
# and the sweep resuming after each.
TESTS += tests/faults.sh
dist_noinst_SCRIPTS += tests/faults.sh

# The hostile-input corpus (issue 20): tests/hostile/*.yaml (shipped
# scenarios with hostile edits) and tests/hostile/cmdlines.txt, classified
# by tests/hostile.sh (OK-refused, OK-ran, clean-fail or BAD-*).  Not in
# TESTS yet: run it by hand, `sh tests/hostile.sh` (KMSIM=path for another
# build); it exits non-zero while any input gets a BAD verdict.
dist_noinst_SCRIPTS += tests/hostile.sh
EXTRA_DIST += tests/hostile

# Secrets never leave a run: tests/kmsim-keylog is kmsim built with
# -DKMSIM_TEST_KEYLOG (its key store appends every key value it takes in
# to $KMSIM_TEST_KEYLOG; kmsim itself has no such code), tests/keyscan
# looks for any 8-byte window of those keys (raw, hex, base64) in every
# file a run, a compare and a sweep of each protocol wrote or printed.
check_PROGRAMS += tests/kmsim-keylog tests/keyscan
tests_kmsim_keylog_SOURCES = sim/cli/main.c crypto/cry_key.c
tests_kmsim_keylog_CPPFLAGS = $(AM_CPPFLAGS) -DKMSIM_TEST_KEYLOG
tests_kmsim_keylog_LDADD = $(KMSIM_LIBS)
tests_keyscan_SOURCES = tests/keyscan.c
TESTS += tests/secrets.sh
dist_noinst_SCRIPTS += tests/secrets.sh

# The locality rule (README "Locality"): tests/libkmsim-local.a is the
# library built again with -DKMSIM_LOCALITY, where the world records whose
# event runs and every protocol's key-store and table accessor aborts when
# it touches another node's state outside a named exception.
# tests/test_local (CUnit) shows the check fires on planted violations;
# tests/locality.sh runs every shipped scenario under every protocol it
# names with tests/kmsim-local.  The normal build has none of this code.
# The same test build carries the nonce ledger (-DKMSIM_NONCE_LEDGER,
# crypto/cry_key.h): every key store records (BLAKE2b of the key value,
# nonce) for each seal and aborts the run on a repeat, so locality.sh
# also proves that no shipped scenario ever reuses a nonce, and
# tests/test_local shows the ledger fires on a planted repeat.
check_LIBRARIES = tests/libkmsim-local.a
tests_libkmsim_local_a_SOURCES = $(libkmsim_a_SOURCES)
tests_libkmsim_local_a_CPPFLAGS = $(AM_CPPFLAGS) -DKMSIM_LOCALITY \
	-DKMSIM_NONCE_LEDGER
LOCAL_LIBS = tests/libkmsim-local.a $(SODIUM_LIBS) $(YAML_LIBS) $(GSL_LIBS) $(SQLITE3_LIBS) \
	$(MPI_LIBS) $(PCAP_LIBS) $(LIBS)
check_PROGRAMS += tests/kmsim-local tests/test_local
tests_kmsim_local_SOURCES = sim/cli/main.c
tests_kmsim_local_CPPFLAGS = $(AM_CPPFLAGS) -DKMSIM_LOCALITY \
	-DKMSIM_NONCE_LEDGER
tests_kmsim_local_LDADD = $(LOCAL_LIBS)
tests_test_local_SOURCES = tests/test_local.c
tests_test_local_CPPFLAGS = $(TEST_CPPFLAGS) -DKMSIM_LOCALITY \
	-DKMSIM_NONCE_LEDGER
tests_test_local_CFLAGS = $(TEST_CFLAGS)
tests_test_local_LDADD = $(LOCAL_LIBS) $(CUNIT_LIBS)
TESTS += tests/test_local tests/locality.sh
dist_noinst_SCRIPTS += tests/locality.sh

# sim/run/table.c: the terminal tables of kmsim run and compare (issue 21).
check_PROGRAMS += tests/test_table
TESTS += tests/test_table
tests_test_table_SOURCES = tests/test_table.c
tests_test_table_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_table_CFLAGS = $(TEST_CFLAGS)
tests_test_table_LDADD = $(TEST_LIBS)

# The SQLite results database (--db, kmsim db import; issue 23): the
# README's SQL and pandas examples against the CSVs, every row of a run,
# concurrent writers, sweeps (--jobs 2, SIGINT), --threads 2, refusals
# (tests/db.sh); the module's checks and round trips (tests/test_db).
UNIT_TESTS += tests/test_db
tests_test_db_SOURCES = tests/test_db.c
tests_test_db_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_db_CFLAGS = $(TEST_CFLAGS)
tests_test_db_LDADD = $(TEST_LIBS)
TESTS += tests/db.sh
dist_noinst_SCRIPTS += tests/db.sh

# --pcap (kmsim extension, issue 23): the trace writer (CUnit), and
# tests/pcap.sh: a shipped scenario's trace read by tshark with
# analysis/kmsim.lua against tests/pcapcheck (libpcap + sim_hdr_read +
# cry_open), the filter, --threads 2, the key log (skips without tshark).
UNIT_TESTS += tests/test_pcap
check_PROGRAMS += tests/pcapcheck
TESTS += tests/pcap.sh
dist_noinst_SCRIPTS += tests/pcap.sh
tests_test_pcap_SOURCES = tests/test_pcap.c tests/tworld.h
tests_test_pcap_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_pcap_CFLAGS = $(TEST_CFLAGS)
tests_test_pcap_LDADD = $(TEST_LIBS)
tests_pcapcheck_SOURCES = tests/pcapcheck.c
tests_pcapcheck_LDADD = $(KMSIM_LIBS)

# The layering rules a compiler does not check (issue 24): <sodium.h>
# only in crypto/, bench/ and crypto's own tests; no C file over 1,550
# lines; no include pointing up the layers and no loop between them;
# every C file named in a Makefile fragment (tests/layers.sh, self-tested).
TESTS += tests/layers.sh
dist_noinst_SCRIPTS += tests/layers.sh
