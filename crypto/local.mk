# crypto/: the only code that calls libsodium.
libkmsim_a_SOURCES += %reldir%/cry.c %reldir%/cry.h
libkmsim_a_SOURCES += %reldir%/cry_key.c %reldir%/cry_key.h
