# man/: the hand-written manual pages (roff), installed by make install;
# tests/man.sh renders them and checks them against the --help pages.
man_MANS = %reldir%/kmsim.1 %reldir%/kmsim-plot.1
EXTRA_DIST += $(man_MANS)
