# sim/scenario/: the scenario loader (YAML with positions, the schema).
libkmsim_a_SOURCES += \
	%reldir%/scenario.c %reldir%/scenario.h %reldir%/scn_map.h \
	%reldir%/scn_int.h \
	%reldir%/scn_yaml.c %reldir%/scn_map.c %reldir%/scn_topo.c \
	%reldir%/scn_sections.c %reldir%/scn_sweep.c
