# scenarios/: shipped scenario files (the default, examples, reproductions).
scenariodir = $(pkgdatadir)/scenarios
dist_scenario_DATA = \
	%reldir%/default.yaml %reldir%/quickstart.yaml \
	%reldir%/mm1-seed000.yaml \
	%reldir%/explicit-small.yaml \
	%reldir%/grid.yaml \
	%reldir%/tree.yaml \
	%reldir%/dini-seed001-s1.yaml \
	%reldir%/dini-seed001-s2.yaml \
	%reldir%/dini-seed000-direct.yaml \
	%reldir%/dini-seed000-via-so.yaml \
	%reldir%/dini-adjacent.yaml %reldir%/dini-invalidation.yaml \
	%reldir%/dipietro-seed001-s1.yaml \
	%reldir%/eg-grid.yaml \
	%reldir%/netkey-tree.yaml \
	%reldir%/pairwise-tree.yaml \
	%reldir%/compare-seed001.yaml %reldir%/attack-compare.yaml \
	%reldir%/attack-all.yaml %reldir%/moves-away-back.yaml
# The README figure "Queue length under flooding" (analysis/figure-queue.sh).
dist_scenario_DATA += %reldir%/flood-series.yaml
profiledir = $(pkgdatadir)/scenarios/profiles
dist_profile_DATA = %reldir%/profiles/rpi3.yaml
# The papers' figures, swept by kmsim sweep (analysis/figures.sh).
dist_scenario_DATA += \
	%reldir%/fig-seed001-1.yaml %reldir%/fig-seed001-2.yaml \
	%reldir%/fig-seed001-3.yaml %reldir%/fig-seed001-4.yaml \
	%reldir%/fig-seed000-6.yaml
# Scale benchmarks (bench/scale.sh, make bench).
dist_scenario_DATA += \
	%reldir%/scale-dini-1e4.yaml %reldir%/scale-dini-1e5.yaml \
	%reldir%/scale-dini-1e6.yaml %reldir%/scale-dipietro-1e5.yaml \
	%reldir%/scale-eg-1e5.yaml
