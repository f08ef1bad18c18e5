#!/bin/sh
# man.sh — the manual pages kmsim(1) and kmsim-plot(1): they render
# without a warning (groff -man -ww; mandoc -Tlint too when installed), and
# every command and option that `kmsim --help` and `kmsim-plot --help`
# list appears in them (issue 21 #4).
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
kmsim="$top_builddir/kmsim"
plot="$top_srcdir/analysis/kmsim-plot"
tmp=$(mktemp -d /tmp/kmsim-man.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0
n=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { n=$((n + 1)); echo "ok $n: $*"; }

command -v groff >/dev/null 2>&1 || { echo "SKIP: groff is not installed"; exit 77; }

for page in kmsim.1 kmsim-plot.1; do
    src="$top_srcdir/man/$page"
    [ -s "$src" ] || { fail "$src missing"; continue; }
    if groff -man -Tutf8 -ww -z "$src" >"$tmp/out" 2>"$tmp/err" &&
       [ ! -s "$tmp/err" ]; then
        ok "groff -man -ww renders $page without warnings"
    else
        fail "groff -man -ww $page:"; cat "$tmp/err"
    fi
    # the rendered page has its sections
    groff -man -Tutf8 "$src" 2>/dev/null | sed 's/.\x08//g' >"$tmp/text"
    for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" "SEE ALSO"; do
        grep -q "^$s\$" "$tmp/text" || fail "$page: no $s section"
    done
    ok "$page has its sections"
    if command -v mandoc >/dev/null 2>&1; then
        if mandoc -Tlint -Wwarning "$src" >"$tmp/lint" 2>&1; then
            ok "mandoc -Tlint $page"
        else
            fail "mandoc -Tlint $page:"; cat "$tmp/lint"
        fi
    fi
done

# has_options PAGE HELPFILE: every --option of the help text is in the
# page's source (written \-\-name there)
has_options() {
    k=0
    for o in $(grep -oE -- '--[a-z][a-z-]*' "$2" | sort -u); do
        r=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
        if grep -q -- "$r" "$top_srcdir/man/$1"; then
            k=$((k + 1))
        else
            fail "$1 does not mention $o (listed by --help)"
        fi
    done
    [ "$k" -gt 0 ] || fail "$1: no option found in the help text"
    ok "$1 mentions all $k options of the help"
}
"$kmsim" --help >"$tmp/help" || fail "kmsim --help"
has_options kmsim.1 "$tmp/help"
# what the README documents beyond the options: the data search path and
# the installed figures script
for w in KMSIM_PATH 'kmsim\\-figures' ENVIRONMENT run.yaml; do
    if grep -q -- "$w" "$top_srcdir/man/kmsim.1"; then
        ok "kmsim.1 mentions $w"
    else
        fail "kmsim.1 does not mention $w"
    fi
done
for c in run compare sweep validate metrics; do
    "$kmsim" "$c" --help >"$tmp/help-$c" || fail "kmsim $c --help"
    has_options kmsim.1 "$tmp/help-$c"
    grep -q "^\\.B kmsim $c\$" "$top_srcdir/man/kmsim.1" ||
        fail "kmsim.1: no synopsis of kmsim $c"
done
sh "$plot" --help >"$tmp/phelp" || fail "kmsim-plot --help"
has_options kmsim-plot.1 "$tmp/phelp"

echo "$n checks, $fails failed"
[ "$fails" -eq 0 ]
