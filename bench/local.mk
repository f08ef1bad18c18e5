# bench/: benchmarks, never part of `make check`.  `make bench` runs them.
noinst_PROGRAMS += bench/bench_sched
bench_bench_sched_SOURCES = bench/bench_sched.c
bench_bench_sched_LDADD = $(KMSIM_LIBS)

bench: bench/bench_sched$(EXEEXT)
	./bench/bench_sched
.PHONY: bench
