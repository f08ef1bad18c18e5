#!/bin/sh
# layers.sh — the layering rules a compiler does not check (issue 24).
#
# 1. crypto/ is the only code that calls libsodium: no C file or header
#    outside crypto/ and bench/ includes <sodium.h> (protocols wipe with
#    cry_wipe, compare with cry_key_equal, test for zero with cry_is_zero).
#    The one exception is crypto's own unit tests (tests/test_cry.c,
#    tests/test_cry_key.c), which check crypto/ against libsodium itself.
# 2. No source file is over 1,550 lines (the issue's "about 1,500"), so a
#    newcomer can hold any one in mind: sim/, crypto/, analysis/, and the
#    tests, fuzz harnesses and benchmarks.
# 3. The layers, lowest first (LAYERS below; each sim/ folder's README.md
#    says what it owns): a file includes headers of its own layer or lower
#    ones only, so there is no include loop between layers; every C file
#    of sim/ is in a layer folder, and each layer folder has its README.
#    An included file is found by its name, whatever the form: "" or <>
#    (every layer folder is on the -I paths, so <world.h> would compile),
#    a path reduced to its last part, a .c as well as a header, after any
#    /* */ comment before the directive; one the tree does not hold
#    (system headers, config.h, revision.h) is not an edge.  The graph of layers is also given to tsort(1), which
#    names a loop if one is there.
#
# 4. Every C file of those folders is named in Makefile.am or a local.mk,
#    so `make dist` puts it in the tarball (a header missing there builds
#    here and fails only in distcheck).
#
# Self-test: planted libsodium includes, a planted long file, includes that
# point up in each form, a file outside the layers and a loop between two
# layers must be found.
set -u
top_srcdir=${top_srcdir:-.}
n=0
bad=0
ok() { n=$((n + 1)); echo "ok $n: $*"; }
fail() { n=$((n + 1)); bad=$((bad + 1)); echo "FAIL $n: $*"; }

# sodium_users ROOT: the C files under ROOT that include <sodium.h> or a
# header of <sodium/...>, in <> or "", but for crypto/, bench/ and crypto's
# own tests
sodium_users() {
    (cd "$1" && find sim analysis crypto tests fuzz bench -name '*.[ch]' 2>/dev/null |
        grep -v -e '^crypto/' -e '^bench/' -e '^tests/test_cry\.c$' \
                -e '^tests/test_cry_key\.c$' |
        xargs grep -l -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]sodium(\.h|/)' 2>/dev/null)
}

# long_files ROOT: "lines file" of every C file over the limit
long_files() {
    (cd "$1" && find sim analysis crypto tests fuzz bench -name '*.[ch]' 2>/dev/null | sort |
        xargs wc -l | awk '$2 != "total" && $1 > 1550 { print $1 " " $2 }')
}

# unlisted ROOT: the C files of ROOT whose name no Makefile fragment holds
unlisted() {
    (cd "$1" && mk=$(find . -name Makefile.am -o -name local.mk | grep -v '^\./_' ) &&
        find sim analysis crypto tests fuzz bench -name '*.[ch]' 2>/dev/null | sort |
        while read -r f; do
            grep -q "${f##*/}" $mk || echo "$f"
        done)
}

LAYERS="crypto engine analysis scenario net attack proto run cli"

# edges ROOT: one line per include of a file the tree holds (a header or a
# .c, by its name: includes are by bare name on the -I paths, in "" or <>,
# and a path is reduced to its last part), from a file of crypto/,
# analysis/ or sim/: "file layer included its-layer verdict", verdict "ok",
# or "up" (a lower layer includes a higher one); and one line
# "file outside - - outside" for each C file of sim/ not in a layer folder
edges() {
    (cd "$1" && find crypto analysis sim -name '*.[ch]' 2>/dev/null | sort |
        awk -v layers="$LAYERS" '
        function layer(p,  a) {
            split(p, a, "/")
            return a[1] == "sim" ? (a[3] == "" ? "" : a[2]) : a[1]
        }
        BEGIN { n = split(layers, L, " "); for (i = 1; i <= n; i++) rank[L[i]] = i }
        {
            f[NR] = $0
            b = $0; sub(/.*\//, "", b)
            home[b] = layer($0)
        }
        END {
            for (i = 1; i <= NR; i++) {
                file = f[i]; me = layer(file)
                if (!(me in rank)) {
                    print file, "outside", "-", "-", "outside"
                    continue
                }
                while ((getline line < file) > 0) {
                    # a comment before the directive: /* ... */ #include
                    while (sub(/^[ \t]*\/\*([^*]|\*+[^*\/])*\*+\//, "", line))
                        ;
                    if (line !~ /^[ \t]*#[ \t]*include[ \t]*[<"]/)
                        continue
                    h = line; sub(/^[^<"]*[<"]/, "", h); sub(/[>"].*/, "", h)
                    sub(/.*\//, "", h)
                    if (!(h in home) || !(home[h] in rank))
                        continue
                    v = rank[home[h]] > rank[me] ? "up" : "ok"
                    print file, me, h, home[h], v
                }
                close(file)
            }
        }')
}

# loop ROOT: the layers of a loop (tsort names them), empty when none
loop() {
    edges "$1" | awk '$2 != $4 { print $2, $4 }' | sort -u |
        tsort 2>&1 >/dev/null | grep -v 'input contains a loop' |
        sed 's/^tsort: //' | awk '!seen[$0]++' | tr '\n' ' '
}

users=$(sodium_users "$top_srcdir")
if [ -z "$users" ]; then
    ok "<sodium.h> is included only in crypto/, bench/ and crypto's own tests"
else
    fail "<sodium.h> included outside crypto/: $(echo $users)"
fi

long=$(long_files "$top_srcdir")
if [ -z "$long" ]; then
    ok "no C file in sim/, analysis/, crypto/, tests/, fuzz/ or bench/ is over 1,550 lines"
else
    fail "files over 1,550 lines: $(echo "$long" | tr '\n' ';')"
fi

e=$(edges "$top_srcdir")
up=$(echo "$e" | awk '$5 != "ok" { print "  " $1 " (" $2 ") includes " $3 " (" $4 ")" }')
if [ -z "$up" ]; then
    ok "no include points up the layers ($LAYERS): $(echo "$e" |
        awk '$2 != $4' | wc -l) includes cross a layer, all downwards"
else
    fail "includes that point up the layers ($LAYERS) or come from outside them:"
    echo "$up"
fi
lp=$(loop "$top_srcdir")
if [ -z "$lp" ]; then
    ok "no include loop between layers (tsort)"
else
    fail "an include loop between layers: $lp"
fi
missing=
for d in $LAYERS; do
    case $d in crypto|analysis) continue ;; esac
    [ -s "$top_srcdir/sim/$d/README.md" ] || missing="$missing sim/$d/README.md"
done
if [ -z "$missing" ]; then
    ok "every layer folder of sim/ opens with its README.md"
else
    fail "layer folders without a README:$missing"
fi

un=$(unlisted "$top_srcdir")
if [ -z "$un" ]; then
    ok "every C file is named in Makefile.am or a local.mk (the tarball has it)"
else
    fail "C files in no Makefile fragment (missing from the tarball): $(echo $un)"
fi

# Self-test on a scratch tree: each rule must catch a planted breach.
tmp=$(mktemp -d /tmp/kmsim-layers.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/sim/proto" "$tmp/crypto"
printf '#include <stdio.h>\n  #  include <sodium.h>\n' >"$tmp/sim/proto/x.c"
printf '#include "sodium.h"\n' >"$tmp/sim/proto/y.c"
printf '#include <sodium/utils.h>\n' >"$tmp/sim/proto/z.h"
printf '#include <sodium.h>\n' >"$tmp/crypto/cry.c"
[ "$(sodium_users "$tmp" | sort | tr '\n' ' ')" = "sim/proto/x.c sim/proto/y.c sim/proto/z.h " ] &&
    ok "self-test: planted <sodium.h>, \"sodium.h\" and <sodium/utils.h> in sim/ are found, crypto/'s is allowed" ||
    fail "self-test: the include check misses a planted include"
rm -f "$tmp/sim/proto/x.c" "$tmp/sim/proto/y.c" "$tmp/sim/proto/z.h"
awk 'BEGIN { for (i = 0; i < 1551; i++) print "int x" i ";" }' >"$tmp/sim/long.c"
case $(long_files "$tmp") in
    "1551 sim/long.c") ok "self-test: a planted 1,551-line file is found" ;;
    *) fail "self-test: the length check misses a planted long file" ;;
esac
rm -f "$tmp/sim/long.c"

mkdir -p "$tmp/sim/net" "$tmp/sim/attack"
printf '#include "b.h"\n' >"$tmp/sim/net/a.c"
printf '#include "a.h"\n' >"$tmp/sim/attack/b.c"
: >"$tmp/sim/net/a.h"
: >"$tmp/sim/attack/b.h"
case $(edges "$tmp" | awk '$5 == "up" { print $1 }') in
    sim/net/a.c) ok "self-test: net/a.c including attack/b.h is found pointing up" ;;
    *) fail "self-test: the layer check misses an include that points up" ;;
esac
printf '#include <b.h>\n  # include "../attack/b.h"\n/* c */ #include "b.c"\n' \
    >"$tmp/sim/net/a.c"
case $(edges "$tmp" | awk '$1 == "sim/net/a.c" && $5 == "up" { print $3 }' |
       tr '\n' ' ') in
    "b.h b.h b.c ") ok "self-test: <b.h>, a path to it and a commented #include of b.c point up" ;;
    *) fail "self-test: the layer check misses <>, path or .c includes" ;;
esac
printf '#include <stdio.h>\n' >"$tmp/sim/loose.c"
case $(edges "$tmp" | awk '$5 == "outside" { print $1 }') in
    sim/loose.c) ok "self-test: a C file of sim/ outside the layer folders is found" ;;
    *) fail "self-test: the layer check misses a file outside the layers" ;;
esac
rm -f "$tmp/sim/loose.c"
printf '#include "b.h"\n' >"$tmp/sim/net/a.h"
case $(loop "$tmp") in
    *attack*net*|*net*attack*) ok "self-test: a loop between net and attack is named" ;;
    *) fail "self-test: the loop check misses a planted loop" ;;
esac
rm -f "$tmp/sim/net/a.c" "$tmp/sim/net/a.h"
[ -z "$(loop "$tmp")" ] &&
    ok "self-test: without the planted includes there is no loop" ||
    fail "self-test: the loop check reports a loop that is not there"

printf 'x_SOURCES = sim/net/a.c\n' >"$tmp/Makefile.am"
: >"$tmp/sim/net/a.c"
: >"$tmp/sim/net/new.h"
case $(unlisted "$tmp" | tr '\n' ' ') in
    *sim/net/new.h*) ok "self-test: a header in no Makefile fragment is found" ;;
    *) fail "self-test: the tarball check misses an unlisted header" ;;
esac

echo "$n checks, $bad failed"
[ "$bad" -eq 0 ]
