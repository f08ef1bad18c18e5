# analysis/: metrics, statistics, queueing theory, CSV.
libkmsim_a_SOURCES += \
	%reldir%/stats.c %reldir%/stats.h \
	%reldir%/qtheory.c %reldir%/qtheory.h \
	%reldir%/eg_theory.c %reldir%/eg_theory.h \
	%reldir%/metrics.c %reldir%/metrics.h \
	%reldir%/csv.c %reldir%/csv.h

# Plots: kmsim-plot (installed), the script that makes the papers' figures
# and the figures themselves (shown in README.md).
dist_bin_SCRIPTS = %reldir%/kmsim-plot
dist_noinst_SCRIPTS += %reldir%/figures.sh
EXTRA_DIST += \
	%reldir%/figures/fig-seed001-1.png %reldir%/figures/fig-seed001-2.png \
	%reldir%/figures/fig-seed001-3.png %reldir%/figures/fig-seed001-4.png \
	%reldir%/figures/fig-seed000-6.png
# The README figure "Queue length under flooding" (issue 23, --series).
dist_noinst_SCRIPTS += %reldir%/figure-queue.sh
EXTRA_DIST += %reldir%/figures/queue-flood.png
# figures.sh installed as kmsim-figures (issue 21): installed, it sweeps
# the installed $(pkgdatadir)/scenarios/fig-*.yaml (found by kmsim's data
# search path) and draws into ./figures.
install-exec-local:
	$(MKDIR_P) '$(DESTDIR)$(bindir)'
	$(INSTALL_SCRIPT) $(srcdir)/%reldir%/figures.sh \
	  '$(DESTDIR)$(bindir)/kmsim-figures'
uninstall-local:
	rm -f '$(DESTDIR)$(bindir)/kmsim-figures'
# The Wireshark dissector of `kmsim run --pcap` traces (issue 23), in
# $(pkgdatadir): wireshark -X lua_script:$(pkgdatadir)/kmsim.lua.
dist_pkgdata_DATA = %reldir%/kmsim.lua
