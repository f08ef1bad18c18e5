# sim/run/: one run of a scenario: replications, results, health checks,
# provenance, the results database, the metric list, terminal tables.
libkmsim_a_SOURCES += \
	%reldir%/run.c %reldir%/run.h \
	%reldir%/health.c %reldir%/health.h \
	%reldir%/mlist.c %reldir%/mlist.h \
	%reldir%/table.c %reldir%/table.h \
	%reldir%/db.c %reldir%/db.h

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
