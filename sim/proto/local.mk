# sim/proto/: the protocol registry and the key-management protocols.
libkmsim_a_SOURCES += \
	%reldir%/proto.c %reldir%/proto.h \
	%reldir%/none.c %reldir%/dini.c %reldir%/dini.h \
	%reldir%/dini_int.h %reldir%/dini_core.c \
	%reldir%/dini_setup.c %reldir%/dini_search.c \
	%reldir%/dini_replace.c %reldir%/dini_move.c \
	%reldir%/dini_atk.c \
	%reldir%/pk.c %reldir%/pk.h \
	%reldir%/dipietro.c %reldir%/dipietro.h \
	%reldir%/dipietro_msg.c %reldir%/dipietro_int.h \
	%reldir%/eg.c %reldir%/eg.h %reldir%/eg_int.h \
	%reldir%/eg_setup.c %reldir%/eg_route.c \
	%reldir%/eg_revoke.c %reldir%/eg_atk.c \
	%reldir%/bl.c %reldir%/bl.h %reldir%/baseline.h \
	%reldir%/netkey.c %reldir%/pairwise.c
