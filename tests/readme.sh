#!/bin/sh
# readme.sh — the README's shell commands that are safe to run (issue 21
# #8): every ```sh fence whose line before is a marker comment
#   <!-- test -->              the whole fence
#   <!-- test from STRING -->  the fence from the first STRING on (the
#                              Quick start: its ./kmsim part, not apt-get)
#   <!-- test skip STRING -->  the fence without its lines holding STRING
# is run with `sh -e` in a scratch folder holding ./kmsim (the build's),
# scenarios/ and analysis/ (the sources'), so results/ and PNGs land there;
# a non-zero exit fails.  A fence that draws (kmsim-plot) is skipped
# without gnuplot.  At least 3 fences must be marked, so the markers
# cannot all be lost.
set -u
top_srcdir=$(cd "${top_srcdir:-.}" && pwd) || exit 99
top_builddir=$(cd "${top_builddir:-.}" && pwd) || exit 99
readme="$top_srcdir/README.md"
tmp=$(mktemp -d /tmp/kmsim-readme.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0
n=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { n=$((n + 1)); echo "ok $n: $*"; }

# fences into $tmp/fence.N, their README line in $tmp/line.N
awk -v dir="$tmp" '
    /^<!-- test( (from|skip) .*)? -->$/ {
        mode = "all"; arg = ""
        s = $0; sub(/^<!-- test ?/, "", s); sub(/ ?-->$/, "", s)
        if (s ~ /^from /) { mode = "from"; arg = substr(s, 6) }
        if (s ~ /^skip /) { mode = "skip"; arg = substr(s, 6) }
        armed = NR + 1; next
    }
    NR == armed && /^```sh$/ {
        k++; f = dir "/fence." k; print NR > (dir "/line." k)
        close(dir "/line." k); infence = 1; started = (mode != "from"); next
    }
    infence && /^```/ { infence = 0; close(f); next }
    infence {
        line = $0
        if (!started) {
            i = index(line, arg)
            if (!i) next
            line = substr(line, i); started = 1
        }
        if (mode == "skip" && index(line, arg)) next
        print line > f
    }
' "$readme" || exit 99

mkdir "$tmp/run" || exit 99
ln -s "$top_builddir/kmsim" "$tmp/run/kmsim" &&
ln -s "$top_srcdir/scenarios" "$tmp/run/scenarios" &&
ln -s "$top_srcdir/analysis" "$tmp/run/analysis" || exit 99

k=0
for f in "$tmp"/fence.*; do
    [ -e "$f" ] || break
    k=$((k + 1))
    i=${f##*.}
    at="README.md:$(cat "$tmp/line.$i")"
    if grep -q kmsim-plot "$f" && ! command -v gnuplot >/dev/null 2>&1; then
        ok "$at skipped (no gnuplot)"
        continue
    fi
    if (cd "$tmp/run" && sh -e "$f") >"$tmp/out" 2>&1; then
        ok "$at: $(head -n 1 "$f")"
    else
        fail "$at exits non-zero:"
        sed 's/^/    /' "$f"
        tail -n 20 "$tmp/out"
    fi
done
[ "$k" -ge 3 ] || fail "only $k marked fences in README.md (at least 3)"

echo "$n ok, $fails failed"
[ "$fails" = 0 ]
