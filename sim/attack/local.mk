# sim/attack/: the adversary: knowledge base and attacker models.
libkmsim_a_SOURCES += %reldir%/kb.c %reldir%/kb.h \
	%reldir%/attack.c %reldir%/attack.h \
	%reldir%/attack_run.c %reldir%/attack_int.h %reldir%/atk_hooks.h
