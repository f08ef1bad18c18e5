#!/bin/sh
# install.sh — installed data found by the data search path (issue 21 #5):
# `make install DESTDIR=...` puts the scenarios (with profiles/) under
# $(pkgdatadir)/scenarios, the Wireshark dissector as
# $(pkgdatadir)/kmsim.lua and figures.sh as kmsim-figures; a scenario named
# on the command line and not found as given is looked up in $KMSIM_PATH
# (then the compiled-in data folder, which DESTDIR moves, hence KMSIM_PATH
# here); a shipped scenario copied alone into an empty folder finds its
# profile in the data path; a file in the working folder wins.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=$(cd "${top_builddir:-.}" && pwd) || exit 99
tmp=$(mktemp -d /tmp/kmsim-install.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0
n=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { n=$((n + 1)); echo "ok $n: $*"; }

# a make of its own, not the jobserver of the `make check` that runs us
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL ${MAKE:-make} -s -C "$top_builddir" \
        install DESTDIR="$tmp/dest" >"$tmp/log" 2>&1; then
    cat "$tmp/log"
    echo "FAIL: make install DESTDIR=$tmp/dest"
    exit 1
fi
data=$(dirname "$(find "$tmp/dest" -path '*/kmsim/scenarios/default.yaml' | head -n 1)")
bin=$(dirname "$(find "$tmp/dest" -path '*/bin/kmsim' | head -n 1)")
[ -f "$data/default.yaml" ] && ok "scenarios installed in $data" ||
    { fail "no installed scenarios/default.yaml"; exit 1; }
[ -f "$data/profiles/rpi3.yaml" ] && ok "profiles installed" ||
    fail "no installed scenarios/profiles/rpi3.yaml"
[ -f "$data/fig-seed001-1.yaml" ] && ok "figure scenarios installed" ||
    fail "no installed fig-seed001-1.yaml"
# the Wireshark dissector (issue 23) in $(pkgdatadir), beside scenarios/
if [ -f "$(dirname "$data")/kmsim.lua" ] &&
        grep -q 'DissectorTable.get("wtap_encap")' "$(dirname "$data")/kmsim.lua"; then
    ok "analysis/kmsim.lua installed in $(dirname "$data")"
else
    fail "no installed kmsim.lua beside $data"
fi
if [ -x "$bin/kmsim-figures" ] && "$bin/kmsim-figures" --help |
        grep -q 'kmsim-figures'; then
    ok "kmsim-figures installed and runs"
else
    fail "kmsim-figures not installed or --help fails"
fi
kmsim="$bin/kmsim"
[ -x "$kmsim" ] || { fail "no installed kmsim"; exit 1; }
# the compiled-in folder is the one make install filled (without DESTDIR)
if strings "$kmsim" 2>/dev/null | grep -q "^${data#"$tmp/dest"}\$"; then
    ok "kmsim's compiled-in data folder is \$(pkgdatadir)/scenarios"
elif ! command -v strings >/dev/null 2>&1; then
    ok "strings missing: compiled-in folder not checked"
else
    fail "kmsim does not name ${data#"$tmp/dest"}"
fi

mkdir "$tmp/empty" "$tmp/alone" "$tmp/local" || exit 99
cd "$tmp/empty" || exit 99
if KMSIM_PATH="$tmp/none:$data" "$kmsim" validate default.yaml >"$tmp/out" 2>&1 &&
   grep -q "^$data/default.yaml: ok" "$tmp/out"; then
    ok "validate default.yaml from an empty folder via KMSIM_PATH"
else
    cat "$tmp/out"; fail "default.yaml not found in KMSIM_PATH"
fi
if KMSIM_PATH="$data" "$kmsim" run grid.yaml --quiet --replications 1 \
        --out "$tmp/res" >"$tmp/out" 2>&1 && [ -s "$tmp/res/summary.csv" ]; then
    ok "run grid.yaml via KMSIM_PATH"
else
    cat "$tmp/out"; fail "run grid.yaml via KMSIM_PATH"
fi
KMSIM_PATH="$tmp/none" "$kmsim" validate no-such-scenario.yaml >"$tmp/out" 2>&1
rc=$?
if [ "$rc" = 2 ] && grep -q 'no-such-scenario.yaml: cannot open' "$tmp/out"; then
    ok "a scenario found nowhere: exit 2, named as given"
else
    cat "$tmp/out"; fail "missing scenario: exit $rc"
fi

# a shipped scenario with profiles/rpi3.yaml, copied alone
cd "$tmp/alone" || exit 99
cp "$data/dini-seed001-s1.yaml" . || exit 99
if [ -f "${data#"$tmp/dest"}/profiles/rpi3.yaml" ]; then
    ok "kmsim is installed on this machine: no-data-path case not checked"
elif KMSIM_PATH="$tmp/none" "$kmsim" validate dini-seed001-s1.yaml >"$tmp/out" 2>&1; then
    fail "profile found although neither the folder nor KMSIM_PATH has it"
elif grep -q "cannot open profile 'profiles/rpi3.yaml'" "$tmp/out"; then
    ok "copied alone, no data path: the missing profile is named"
else
    cat "$tmp/out"; fail "unexpected error for the missing profile"
fi
if KMSIM_PATH="$data" "$kmsim" validate dini-seed001-s1.yaml >"$tmp/out" 2>&1; then
    ok "copied alone: its profile found in the data path"
else
    cat "$tmp/out"; fail "profile not found in KMSIM_PATH"
fi
# the scenario's own folder first: a broken local profile is what is read
mkdir profiles && printf 'nonsense: [\n' >profiles/rpi3.yaml
if KMSIM_PATH="$data" "$kmsim" validate dini-seed001-s1.yaml >"$tmp/out" 2>&1; then
    fail "the data path's profile was read before the scenario's own"
elif grep -q 'not a profile' "$tmp/out"; then
    ok "the scenario's own profiles/ comes first"
else
    cat "$tmp/out"; fail "unexpected error for a broken local profile"
fi

# a file in the working folder wins over the data path
cd "$tmp/local" || exit 99
printf 'topology: {sourcs: 3}\n' >default.yaml
if KMSIM_PATH="$data" "$kmsim" validate default.yaml >"$tmp/out" 2>&1; then
    fail "the installed default.yaml was used, not ./default.yaml"
elif grep -q '^default.yaml:' "$tmp/out"; then
    ok "./default.yaml comes before KMSIM_PATH"
else
    cat "$tmp/out"; fail "unexpected message for ./default.yaml"
fi

echo "$n ok, $fails failed"
[ "$fails" = 0 ]
