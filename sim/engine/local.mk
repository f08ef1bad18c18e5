# sim/engine/: the discrete-event engine and its plain helpers.
libkmsim_a_SOURCES += \
	%reldir%/sim_time.h %reldir%/util.c %reldir%/util.h \
	%reldir%/sched.c %reldir%/sched.h \
	%reldir%/rng.c %reldir%/rng.h \
	%reldir%/dist.c %reldir%/dist.h \
	%reldir%/units.c %reldir%/units.h \
	%reldir%/kmap.c %reldir%/kmap.h \
	%reldir%/topic.c %reldir%/topic.h \
	%reldir%/guard.c %reldir%/guard.h \
	%reldir%/par.c %reldir%/par.h

# The installed data folder, searched after $KMSIM_PATH for a scenario
# not found as given and for a profile its scenario's folder lacks
# (sim_util_find_data; kmsim extension, issue 21).
AM_CPPFLAGS += -DKMSIM_DATADIR='"$(pkgdatadir)/scenarios"'
