# bench/: benchmarks, never part of `make check`, and built only by
# `make bench` (EXTRA_PROGRAMS: `make` and `make check` leave them alone).
# `make bench` runs, in order: the HOLD model of the event queue, the
# crypto-bound message rate, the scale scenarios, the sweep rate and the
# routing curve (bench/route.sh; alone: `make bench-route`);
# `make bench-quick` (or BENCH_QUICK=1) does one repetition of each and
# skips the 10^6-source scenario.  bench/scale.sh also reads BENCH_REPS,
# BENCH_REPS_LARGE, BENCH_ONLY and KMSIM (see the script); beside each
# scale run it prints its floor, from bench_crypto --raw and bench_sched
# --hold run in the same invocation (issue 22).
BENCH_PROGS = bench/bench_sched bench/bench_crypto bench/rss bench/xpart \
	bench/thr
EXTRA_PROGRAMS = $(BENCH_PROGS)
CLEANFILES += $(BENCH_PROGS)
bench_bench_sched_SOURCES = bench/bench_sched.c
bench_bench_sched_LDADD = $(KMSIM_LIBS)
bench_bench_crypto_SOURCES = bench/bench_crypto.c
bench_bench_crypto_LDADD = $(KMSIM_LIBS)
bench_rss_SOURCES = bench/rss.c
# Partition census of a scenario (issue 22 lever 6, THREADS.md).
bench_xpart_SOURCES = bench/xpart.c
bench_xpart_LDADD = $(KMSIM_LIBS)
# One replication with --threads 1 or 2, timed (THREADS.md).
bench_thr_SOURCES = bench/thr.c
bench_thr_LDADD = $(KMSIM_LIBS)
EXTRA_DIST += bench/scale.sh bench/sweep.sh bench/sweep.yaml bench/route.sh

bench: kmsim$(EXEEXT) bench/bench_sched$(EXEEXT) bench/bench_crypto$(EXEEXT) \
		bench/rss$(EXEEXT)
	@echo "== 1. Event engine: HOLD model =="
	@./bench/bench_sched
	@echo; echo "== 2. Crypto-bound messages through the engine =="
	@./bench/bench_crypto
	@echo; echo "== 3. Scale scenarios, their floors and the targets =="
	@top_srcdir='$(abs_top_srcdir)' RSS='$(abs_top_builddir)/bench/rss' \
	BENCH_SCHED='$(abs_top_builddir)/bench/bench_sched' \
	BENCH_CRYPTO='$(abs_top_builddir)/bench/bench_crypto' \
	KMSIM="$${KMSIM:-$(abs_top_builddir)/kmsim}" \
	$(SHELL) $(srcdir)/bench/scale.sh
	@echo; echo "== 4. Sweep throughput =="
	@top_srcdir='$(abs_top_srcdir)' RSS='$(abs_top_builddir)/bench/rss' \
	KMSIM="$${KMSIM:-$(abs_top_builddir)/kmsim}" \
	$(SHELL) $(srcdir)/bench/sweep.sh
	@echo; echo "== 5. Routing: SOs x backbone shape (issue 20 #5) =="
	@top_srcdir='$(abs_top_srcdir)' RSS='$(abs_top_builddir)/bench/rss' \
	KMSIM="$${KMSIM:-$(abs_top_builddir)/kmsim}" \
	$(SHELL) $(srcdir)/bench/route.sh

# Only the routing curve (bench/route.sh; KMSIM_BEFORE=<older kmsim> to
# interleave a second binary, BENCH_ROUTE_K / _TIMEOUT / _SHAPES).
bench-route: kmsim$(EXEEXT) bench/rss$(EXEEXT)
	@top_srcdir='$(abs_top_srcdir)' RSS='$(abs_top_builddir)/bench/rss' \
	KMSIM="$${KMSIM:-$(abs_top_builddir)/kmsim}" \
	$(SHELL) $(srcdir)/bench/route.sh

bench-quick:
	@BENCH_QUICK=1 $(MAKE) $(AM_MAKEFLAGS) bench
.PHONY: bench bench-quick bench-route
