# sim/cli/: the command line: kmsim's main, compare and sweep.
libkmsim_a_SOURCES += %reldir%/compare.c %reldir%/compare.h \
	%reldir%/sweep.c %reldir%/sweep.h \
	%reldir%/sweep_run.c %reldir%/sweep_int.h
