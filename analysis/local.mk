# analysis/: metrics, statistics, queueing theory, CSV.
libkmsim_a_SOURCES += \
	%reldir%/stats.c %reldir%/stats.h \
	%reldir%/qtheory.c %reldir%/qtheory.h \
	%reldir%/eg_theory.c %reldir%/eg_theory.h \
	%reldir%/metrics.c %reldir%/metrics.h \
	%reldir%/csv.c %reldir%/csv.h
