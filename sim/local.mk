# sim/: engine, network, smart objects, scenario loader, protocols, CLI.
libkmsim_a_SOURCES += \
	%reldir%/sim_time.h %reldir%/util.c %reldir%/util.h \
	%reldir%/sched.c %reldir%/sched.h \
	%reldir%/guard.c %reldir%/guard.h \
	%reldir%/health.c %reldir%/health.h \
	%reldir%/estimate.c %reldir%/estimate.h \
	%reldir%/rng.c %reldir%/rng.h \
	%reldir%/units.c %reldir%/units.h \
	%reldir%/table.c %reldir%/table.h \
	%reldir%/dist.c %reldir%/dist.h \
	%reldir%/scenario.c %reldir%/scenario.h %reldir%/scn_int.h \
	%reldir%/scn_yaml.c %reldir%/scn_map.c %reldir%/scn_topo.c \
	%reldir%/scn_sections.c %reldir%/scn_sweep.c \
	%reldir%/topo.c %reldir%/topo.h \
	%reldir%/topic.c %reldir%/topic.h \
	%reldir%/kmap.c %reldir%/kmap.h \
	%reldir%/wire.c %reldir%/wire.h \
	%reldir%/pcap.c %reldir%/pcap.h \
	%reldir%/world.c %reldir%/world.h %reldir%/world_int.h \
	%reldir%/world_pool.c %reldir%/world_net.c %reldir%/world_so.c \
	%reldir%/world_metrics.c %reldir%/world_thr.c \
	%reldir%/par.c %reldir%/par.h \
	%reldir%/proto.c %reldir%/proto.h \
	%reldir%/proto/none.c %reldir%/proto/dini.c %reldir%/proto/dini.h \
	%reldir%/proto/dini_int.h %reldir%/proto/dini_core.c \
	%reldir%/proto/dini_setup.c %reldir%/proto/dini_search.c \
	%reldir%/proto/dini_replace.c %reldir%/proto/dini_move.c \
	%reldir%/proto/dini_atk.c \
	%reldir%/proto/pk.c %reldir%/proto/pk.h \
	%reldir%/proto/dipietro.c %reldir%/proto/dipietro.h \
	%reldir%/proto/dipietro_msg.c %reldir%/proto/dipietro_int.h \
	%reldir%/proto/eg.c %reldir%/proto/eg.h %reldir%/proto/eg_int.h \
	%reldir%/proto/eg_setup.c %reldir%/proto/eg_route.c \
	%reldir%/proto/eg_revoke.c %reldir%/proto/eg_atk.c \
	%reldir%/proto/bl.c %reldir%/proto/bl.h %reldir%/proto/baseline.h \
	%reldir%/proto/netkey.c %reldir%/proto/pairwise.c \
	%reldir%/run.c %reldir%/run.h \
	%reldir%/mlist.c %reldir%/mlist.h \
	%reldir%/sweep.c %reldir%/sweep.h \
	%reldir%/sweep_run.c %reldir%/sweep_int.h

# The adversary: knowledge base and attacker models.
libkmsim_a_SOURCES += %reldir%/attack/kb.c %reldir%/attack/kb.h \
	%reldir%/attack/attack.c %reldir%/attack/attack.h \
	%reldir%/attack/attack_run.c %reldir%/attack/attack_int.h

# kmsim compare: one scenario under several protocols.
libkmsim_a_SOURCES += %reldir%/compare.c %reldir%/compare.h

# kmsim --db and kmsim db import: the SQLite results database (issue 23).
libkmsim_a_SOURCES += %reldir%/db.c %reldir%/db.h

bin_PROGRAMS += kmsim
kmsim_SOURCES = %reldir%/main.c
kmsim_LDADD = $(KMSIM_LIBS)

# run.yaml, the provenance of an output directory (kmsim extension, issue
# 21), with the source revision: `git describe --always --dirty` of the
# source tree at build time ("unknown" without git, e.g. from a tarball),
# into revision.h in the build tree, rewritten only when it changes.
libkmsim_a_SOURCES += %reldir%/prov.c %reldir%/prov.h
nodist_libkmsim_a_SOURCES = revision.h
BUILT_SOURCES = revision.h
CLEANFILES += revision.h
AM_CPPFLAGS += -I$(top_builddir)
# BUILT_SOURCES covers all/check/install, not `make kmsim` (the MPI build
# of .ci/run): the object that includes it depends on it explicitly.
%reldir%/prov.$(OBJEXT): revision.h
revision.h: FORCE
	$(AM_V_GEN)r=unknown; \
	if test -e $(top_srcdir)/.git; then \
	  r=$$(git -C $(top_srcdir) describe --always --dirty 2>/dev/null) || r=unknown; \
	fi; \
	test -n "$$r" || r=unknown; \
	printf '#define KMSIM_REVISION "%s"\n' "$$r" >$@.tmp && \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi
FORCE:
.PHONY: FORCE

# The installed data folder, searched after $KMSIM_PATH for a scenario
# not found as given and for a profile its scenario's folder lacks
# (sim_util_find_data; kmsim extension, issue 21).
AM_CPPFLAGS += -DKMSIM_DATADIR='"$(pkgdatadir)/scenarios"'
