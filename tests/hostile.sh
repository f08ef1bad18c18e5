#!/bin/sh
# hostile.sh — run the hostile-input corpus (tests/hostile/) and classify
# what kmsim does with each input (issue 20, "Done when").
#
# For every tests/hostile/*.yaml (a shipped scenario with one or two
# hostile edits; its second line, "# hostile-line: N...", names the edited
# lines, 0 for the file as a whole, "-" for none in particular) it runs
#     kmsim validate FILE
#     kmsim run FILE -q --out OUT --until 1min
#     kmsim sweep FILE --list            (only if the file has a sweep:)
# and for every line of tests/hostile/cmdlines.txt the command given there,
# each under `timeout` (HOSTILE_TIMEOUT, default 20 s) and `ulimit -v`
# (HOSTILE_VMEM KiB, default 4000000; skipped for a sanitizer build, which
# needs its own address space), in a scratch copy of the corpus.  Verdicts:
#   OK-refused    exit 2, one line, naming file:line:column at an edited
#                 line (or the flag), no raw control bytes, nothing written
#   OK-ran        exit 0 (run: runs.csv, summary.csv, replications.csv, run.yaml
#                 complete in OUT, no temporary file)
#   clean-fail    exit 1, one line, nothing left behind
#   BAD-crash     killed by a signal, a sanitizer report, or another status
#   OK-long       a run still going at the timeout that kmsim itself said
#                 would take longer (its estimate, `validate --until 1min`,
#                 is more events than 2 million per second of the timeout
#                 allow), ended by the timeout's SIGTERM with its one-line
#                 "interrupted" message and nothing left behind
#   BAD-hang      no answer within the timeout, not announced so
#   BAD-leftover  files or directories left after a failure, or incomplete
#                 results after a success, or an input file changed
#   BAD-location  exit 2 without a location, or one not at an edited line
#   BAD-message   several lines, raw control / bidi / zero-width characters,
#                 a file's content quoted, or output on stdout
# Per-command verdicts and a count table go to HOSTILE_RESULTS (default
# ./hostile-results.txt) and the table to stdout; the exit status is 1 iff
# any verdict is BAD.  KMSIM=path runs another build (e.g. an ASan one);
# HOSTILE_ONLY=glob restricts the cases (e.g. 'dini-*').
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
kmsim=${KMSIM:-$top_builddir/kmsim}
limit=${HOSTILE_TIMEOUT:-20}
vmem=${HOSTILE_VMEM:-4000000}
results=${HOSTILE_RESULTS:-hostile-results.txt}
only=${HOSTILE_ONLY:-*}

abs() { (cd "$(dirname "$1")" && printf '%s/%s\n' "$(pwd)" "$(basename "$1")"); }
kmsim=$(abs "$kmsim") || exit 99
[ -x "$kmsim" ] || { echo "hostile.sh: no kmsim at $kmsim"; exit 99; }
top_srcdir=$(cd "$top_srcdir" && pwd) || exit 99
case $results in /*) ;; *) results=$(pwd)/$results ;; esac
command -v timeout >/dev/null 2>&1 || { echo "hostile.sh: needs timeout(1)"; exit 99; }
# a sanitizer build reserves terabytes of address space: no ulimit -v
if grep -q -a -e __asan_init -e __ubsan_handle "$kmsim" 2>/dev/null; then
    vmem=unlimited
fi
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
export ASAN_OPTIONS UBSAN_OPTIONS

tmp=$(mktemp -d /tmp/kmsim-hostile.XXXXXX) || exit 99
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
W="$tmp/work"
mkdir "$W" "$tmp/outside" || exit 99
# the corpus, and the shipped scenarios the command lines use
cp -R "$top_srcdir/tests/hostile/." "$W/" || exit 99
cp "$top_srcdir"/scenarios/*.yaml "$W/" || exit 99
mkdir -p "$W/profiles" || exit 99
cp "$top_srcdir/scenarios/profiles/rpi3.yaml" "$W/profiles/" || exit 99
chmod -R u+w "$W"
# special files: a secret outside the folder, devices, a FIFO, loops
printf 'password=HOSTILE_SECRET_4242\n' >"$tmp/outside/secret.txt"
ln -s "$tmp/outside/secret.txt" "$W/profiles/secret.yaml"
ln -s /dev/zero "$W/profiles/zero.yaml"
ln -s /proc/self/environ "$W/profiles/environ.yaml"
ln -s loop.yaml "$W/profiles/loop.yaml"
ln -s nowhere.yaml "$W/profiles/dangling.yaml"
mkdir "$W/profiles/dir.yaml"
mkfifo "$W/profiles/fifo.yaml" "$W/fifo-scenario.yaml" || exit 99
ln -s /dev/zero "$W/zero-scenario.yaml"
mkdir "$W/dir-scenario.yaml"
printf 'not a directory\n' >"$W/afile"
ln -s loopdir "$W/loopdir"
ln -s "$tmp/outside" "$W/outside-link"
# a file may refer to a secret: HOSTILE_SECRET must never appear in a message
cp -a "$W" "$tmp/pristine" || exit 99
cd "$W" || exit 99
find . | LC_ALL=C sort >"$tmp/before"

bad=0
: >"$tmp/verdicts"
ctl=$(printf '[\001-\011\013-\037\177]')
c1=$(printf '\302[\200-\237]')
bidi=$(printf '\342\200[\213-\217\252-\256]')
bidi2=$(printf '\342\201[\240\246-\251]')
bom=$(printf '\357\273\277')

# verdict CASE CMD STATUS WHY: record one command's verdict
verdict() {
    excerpt=$(head -n 1 "$tmp/err" | cut -c 1-220 | cat -v)
    printf '%-12s %-44s %-9s exit=%s %s | %s\n' "$3" "$1" "$2" "$rc" "$4" \
        "$excerpt" >>"$tmp/verdicts"
    case $3 in BAD-*) bad=$((bad + 1)) ;; esac
}

# check CASE CMD WANT-LOC: classify the command just run ($rc, $tmp/err,
# $tmp/out); WANT-LOC is "FILE LINES" for a scenario, "flag:TEXT" for a
# command line, "-" for no check
check() {
    cc=$1 cmd=$2 want=$3
    find . | LC_ALL=C sort >"$tmp/after"
    new=$(LC_ALL=C comm -13 "$tmp/before" "$tmp/after")
    gone=$(LC_ALL=C comm -23 "$tmp/before" "$tmp/after")
    lines=$(wc -l <"$tmp/err")
    v= why=
    if grep -q -a -e 'AddressSanitizer' -e 'LeakSanitizer' -e 'runtime error:' \
        -e 'UndefinedBehaviorSanitizer' "$tmp/err"; then
        v=BAD-crash why="sanitizer report"
    elif [ "$rc" -eq 124 ] && [ "$cmd" = run ] && [ -z "$new" ] &&
         [ -z "$gone" ] && grep -q 'interrupted' "$tmp/err" &&
         long_estimate "$cc"; then
        v=OK-long why="estimate $est events, stopped at ${limit}s"
    elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        v=BAD-hang why="no answer in ${limit}s"
    elif [ "$rc" -gt 128 ]; then
        v=BAD-crash why="signal $((rc - 128))"
    elif [ -n "$gone" ]; then
        v=BAD-leftover why="removed $(echo "$gone" | head -n 1)"
    elif [ "$rc" -eq 0 ]; then
        v=OK-ran
        if [ "$cmd" = run ]; then
            for csv in runs.csv summary.csv replications.csv; do
                if [ ! -s "out/$csv" ] || [ "$(tail -c 1 "out/$csv" | od -An -c | tr -d ' ')" != '\n' ]; then
                    v=BAD-leftover why="out/$csv missing or incomplete"
                fi
            done
            # the CSVs and the provenance file run.yaml (issue 21)
            if [ -n "$(echo "$new" | grep -v -e '^\./out$' -e '^\./out/[a-z]*\.csv$' -e '^\./out/run\.yaml$')" ]; then
                v=BAD-leftover why="left $(echo "$new" | grep -v -e '^\./out$' -e '^\./out/[a-z]*\.csv$' -e '^\./out/run\.yaml$' | head -n 1)"
            fi
        elif [ -n "$new" ] && [ "$cmd" != cmdline ]; then
            v=BAD-leftover why="left $(echo "$new" | head -n 1)"
        elif [ -n "$new" ] && echo "$new" | grep -q -e '\.tmp\.' -e 'journal'; then
            v=BAD-leftover why="left $(echo "$new" | grep -e '\.tmp\.' -e journal | head -n 1)"
        fi
    elif [ "$rc" -ne 1 ] && [ "$rc" -ne 2 ]; then
        v=BAD-crash why="unexpected status"
    elif [ -n "$new" ]; then
        v=BAD-leftover why="left $(echo "$new" | head -n 1) ($(echo "$new" | wc -l) paths)"
    elif [ "$lines" -ne 1 ] || [ "$(tail -c 1 "$tmp/err" | od -An -c | tr -d ' ')" != '\n' ]; then
        v=BAD-message why="$lines lines on stderr"
    elif LC_ALL=C grep -q -a -e "$ctl" -e "$c1" -e "$bidi" -e "$bidi2" -e "$bom" "$tmp/err"; then
        v=BAD-message why="raw control/bidi/zero-width bytes"
    elif grep -q -a -e HOSTILE_SECRET -e 'root:x:0' -e 'PATH=' "$tmp/err"; then
        v=BAD-message why="quotes a file's content"
    elif [ -s "$tmp/out" ]; then
        v=BAD-message why="wrote on stdout"
    elif [ "$rc" -eq 1 ]; then
        v=clean-fail
    else
        v=OK-refused
        case $want in
        -) ;;
        flag:*)
            grep -q -F -e "${want#flag:}" "$tmp/err" ||
                { v=BAD-location why="does not name ${want#flag:}"; } ;;
        *)
            file=${want%% *} hl=${want#* }
            first=$(head -n 1 "$tmp/err")
            case $first in
            "$file":*)
                loc=${first#"$file":}
                l=${loc%%:*}
                case $l in
                ''|*[!0-9]*)
                    case " $hl " in *" 0 "*|*" - "*) ;;
                    *) v=BAD-location why="no line:column (edited line $hl)" ;; esac ;;
                *)
                    case " $hl " in *" $l "*|*" - "*) ;;
                    *) v=BAD-location why="line $l, edited line $hl" ;; esac ;;
                esac ;;
            *) v=BAD-location why="does not start with $file:" ;;
            esac ;;
        esac
    fi
    verdict "$cc" "$cmd" "$v" "${why:+($why)}"
    # anything made or removed: start again from a pristine copy (paths may
    # hold newlines, so they are not removed one by one)
    if [ -n "$new" ] || [ -n "$gone" ]; then
        cd / && chmod -R u+w "$W" 2>/dev/null; rm -rf "$W"
        cp -a "$tmp/pristine" "$W" && cd "$W" || exit 99
    fi
}

# k ARGS...: run kmsim under the limits; sets rc, $tmp/out, $tmp/err
# long_estimate CASE: kmsim's own estimate of the case's run (as run
# here, --until 1min) is beyond what the timeout allows at 2e6 events/s
long_estimate() {
    est=$("$kmsim" validate "$1.yaml" --set warmup=0s --until 1min 2>&1 </dev/null |
          sed -n 's/^.*, \([0-9.e+]*\) events per replication.*$/\1/p' |
          head -n 1)
    [ -n "$est" ] && awk -v e="$est" -v t="$limit" 'BEGIN { exit !(e > 2e6 * t) }'
}

k() {
    (
        [ "$vmem" = unlimited ] || ulimit -v "$vmem"
        exec timeout -k 5 "$limit" "$kmsim" "$@"
    ) <"$tmp/empty" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}
: >"$tmp/empty"

ncases=0
for f in $only.yaml; do
    [ -f "$f" ] || continue
    case $f in *.yaml) ;; *) continue ;; esac
    # a corpus file has the header; the shipped scenarios beside it do not
    tr -d '\000' <"$f" | tr '\r' '\n' | grep -q -a '# hostile-line:' || continue
    ncases=$((ncases + 1))
    c=${f%.yaml}
    # the header survives UTF-16/32 (NULs dropped) and CR-only line ends
    hl=$(tr -d '\000' <"$f" | tr '\r' '\n' | sed -n 's/^.*# hostile-line: *\([-0-9 ]*\).*$/\1/p' | head -n 1)
    hl=$(echo "$hl" | sed 's/ *$//')
    [ -n "$hl" ] || hl=-
    k validate "$f"
    check "$c" validate "$f $hl"
    k run "$f" -q --out out --until 1min
    # a valid scenario whose warm-up is 1 min or more refuses an --until
    # within it (nothing would be measured): run it with no warm-up
    if [ "$rc" -eq 2 ] && grep -q '^kmsim: --until: not after the warm-up' "$tmp/err"; then
        k run "$f" -q --out out --set warmup=0s --until 1min
    fi
    check "$c" run "$f $hl"
    if tr -d '\000' <"$f" | grep -q -a '^sweep:'; then
        k sweep "$f" --list --out out
        check "$c" sweep "$f $hl"
    fi
done

# command lines: NAME EXPECT ARGS (see cmdlines.txt)
ncmd=0
if [ "$only" = '*' ]; then
    while IFS= read -r line; do
        case $line in '#'*|'') continue ;; esac
        name=${line%% *} rest=${line#* }
        want=${rest%% *} args=
        case $rest in *' '*) args=${rest#* } ;; esac
        ncmd=$((ncmd + 1))
        OUT=out
        eval "set -- $args"
        k "$@"
        case $want in -) ;; *) want="flag:$want" ;; esac
        check "cmd:$name" cmdline "$want"
    done <"$W/cmdlines.txt"
fi

cd / || exit 99
{
    echo "# kmsim hostile corpus: $ncases scenario files, $ncmd command lines"
    echo "# kmsim: $kmsim (timeout ${limit}s, ulimit -v $vmem)"
    echo "# counts (per command)"
    for v in OK-refused OK-ran OK-long clean-fail BAD-crash BAD-hang BAD-leftover BAD-location BAD-message; do
        printf '%-13s %5d\n' "$v" "$(grep -c "^$v " "$tmp/verdicts")"
    done
    printf '%-13s %5d\n' total "$(wc -l <"$tmp/verdicts")"
    echo "# counts (per case: its worst command)"
    for v in OK-refused OK-ran OK-long clean-fail BAD-crash BAD-hang BAD-leftover BAD-location BAD-message; do
        awk -v want="$v" '{ c = $2; v = $1
                 if (!(c in w) || (v ~ /^BAD/ && w[c] !~ /^BAD/) ||
                     (v == "clean-fail" && w[c] ~ /^OK/) || (v == "OK-refused" && w[c] == "OK-ran")) w[c] = v }
             END { n = 0; for (c in w) if (w[c] == want) n++; printf "%-13s %5d\n", want, n }' \
            "$tmp/verdicts"
    done
    echo "# verdicts: VERDICT CASE COMMAND exit=STATUS (why) | first line of stderr"
    LC_ALL=C sort -k 2,2 -s "$tmp/verdicts"
} >"$results"
sed -n '1,/^# verdicts/p' "$results" | sed '$d'
grep '^BAD-[a-z]*  *[^ 0-9]' "$results"
echo "hostile.sh: $bad BAD verdicts; all verdicts in $results"
[ "$bad" -eq 0 ]
