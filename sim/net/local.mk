# sim/net/: the world (network, smart objects, sources), the wire format,
# topologies, packet traces and the cost estimate made before a run.
libkmsim_a_SOURCES += \
	%reldir%/world.c %reldir%/world.h %reldir%/world_int.h %reldir%/hooks.h \
	%reldir%/world_pool.c %reldir%/world_net.c %reldir%/world_so.c \
	%reldir%/world_metrics.c %reldir%/world_thr.c \
	%reldir%/topo.c %reldir%/topo.h \
	%reldir%/wire.c %reldir%/wire.h \
	%reldir%/pcap.c %reldir%/pcap.h \
	%reldir%/estimate.c %reldir%/estimate.h
