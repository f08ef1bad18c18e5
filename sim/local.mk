# sim/: the simulator, one folder per layer (README "Reading the code";
# each folder's README says what it owns and what it may include).  Lowest
# first; tests/layers.sh fails `make check` on an include that points up.
include %reldir%/engine/local.mk
include %reldir%/scenario/local.mk
include %reldir%/net/local.mk
include %reldir%/attack/local.mk
include %reldir%/proto/local.mk
include %reldir%/run/local.mk
include %reldir%/cli/local.mk
EXTRA_DIST += %reldir%/engine/README.md %reldir%/scenario/README.md \
	%reldir%/net/README.md %reldir%/attack/README.md \
	%reldir%/proto/README.md %reldir%/run/README.md %reldir%/cli/README.md

bin_PROGRAMS += kmsim
kmsim_SOURCES = %reldir%/cli/main.c
kmsim_LDADD = $(KMSIM_LIBS)
