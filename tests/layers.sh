#!/bin/sh
# layers.sh — the layering rules a compiler does not check (issue 24).
#
# 1. crypto/ is the only code that calls libsodium: no C file or header
#    outside crypto/ and bench/ includes <sodium.h> (protocols wipe with
#    cry_wipe, compare with cry_key_equal, test for zero with cry_is_zero).
#    The one exception is crypto's own unit tests (tests/test_cry.c,
#    tests/test_cry_key.c), which check crypto/ against libsodium itself.
# 2. No source file is over 1,550 lines (the issue's "about 1,500"), so a
#    newcomer can hold any one in mind: sim/, crypto/, analysis/.
#
# Self-test: a planted include and a planted long file must be found.
set -u
top_srcdir=${top_srcdir:-.}
n=0
bad=0
ok() { n=$((n + 1)); echo "ok $n: $*"; }
fail() { n=$((n + 1)); bad=$((bad + 1)); echo "FAIL $n: $*"; }

# sodium_users ROOT: the C files under ROOT that include <sodium.h>, but
# for crypto/, bench/ and crypto's own tests
sodium_users() {
    (cd "$1" && find sim analysis crypto tests fuzz bench -name '*.[ch]' 2>/dev/null |
        grep -v -e '^crypto/' -e '^bench/' -e '^tests/test_cry\.c$' \
                -e '^tests/test_cry_key\.c$' |
        xargs grep -l -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*<sodium\.h>' 2>/dev/null)
}

# long_files ROOT: "lines file" of every C file over the limit
long_files() {
    (cd "$1" && find sim analysis crypto -name '*.[ch]' 2>/dev/null | sort |
        xargs wc -l | awk '$2 != "total" && $1 > 1550 { print $1 " " $2 }')
}

users=$(sodium_users "$top_srcdir")
if [ -z "$users" ]; then
    ok "<sodium.h> is included only in crypto/, bench/ and crypto's own tests"
else
    fail "<sodium.h> included outside crypto/: $(echo $users)"
fi

long=$(long_files "$top_srcdir")
if [ -z "$long" ]; then
    ok "no file in sim/, analysis/ or crypto/ is over 1,550 lines"
else
    fail "files over 1,550 lines: $(echo "$long" | tr '\n' ';')"
fi

# Self-test on a scratch tree: each rule must catch a planted breach.
tmp=$(mktemp -d /tmp/kmsim-layers.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/sim/proto" "$tmp/crypto"
printf '#include <stdio.h>\n  #  include <sodium.h>\n' >"$tmp/sim/proto/x.c"
printf '#include <sodium.h>\n' >"$tmp/crypto/cry.c"
[ "$(sodium_users "$tmp")" = "sim/proto/x.c" ] &&
    ok "self-test: a planted include in sim/ is found, crypto/'s is allowed" ||
    fail "self-test: the include check misses a planted include"
awk 'BEGIN { for (i = 0; i < 1551; i++) print "int x" i ";" }' >"$tmp/sim/long.c"
case $(long_files "$tmp") in
    "1551 sim/long.c") ok "self-test: a planted 1,551-line file is found" ;;
    *) fail "self-test: the length check misses a planted long file" ;;
esac

echo "$n checks, $bad failed"
[ "$bad" -eq 0 ]
