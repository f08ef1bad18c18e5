#!/bin/sh
# faults.sh — faults while running, for kmsim run, compare and sweep:
#  - --out that cannot be written (under a regular file, under /proc, on a
#    read-only mount): exit 1, one line naming the path, nothing created;
#  - a full disk (a 64 KiB tmpfs) and a file size limit (ulimit -f with
#    SIGXFSZ ignored by the shell, and not): a message, exit 1, no final
#    CSV, no *.tmp.* left;
#  - an --out another process holds (flock) and two runs racing into one
#    --out: the loser exits 1 writing nothing, the set is never mixed; run,
#    compare and sweep exclude one another (the same lock, all pairs);
#  - an --out deeper than PATH_MAX: every directory made removed again, the
#    message keeps its reason;
#    --out / is refused (exit 2);
#    standard output on /dev/full: exit 1;
#  - SIGINT and SIGTERM during a run or a compare: the message, death by
#    that signal (status 130 / 143), no CSV and no temporary file; then the
#    same command completes;
#  - SIGINT and SIGTERM during a sweep with --jobs 2 (to the coordinator,
#    and to the whole process group as a terminal's Ctrl-C does): the
#    workers stop, the journal stays whole, no final CSV; the same command
#    resumes (saying how many points were already done) and writes CSVs
#    byte-identical to an uninterrupted sweep's; so does a sweep stopped
#    by a full disk once there is space again;
#  - SIGINT while a world is built (issue 20): status 130, nothing left;
#  - out of memory under ulimit -v: refused before building by the
#    estimate (exit 2), or, with the budget lifted, ended in xmalloc with
#    one line, exit 1 and nothing left.
# The mount checks need root (mount -t tmpfs); without it they are
# skipped and the script ends with 77 if everything else passed.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
kmsim="$top_builddir/kmsim"
# make check-valgrind: kmsim under valgrind memcheck
[ -n "${KMSIM_VALGRIND:-}" ] && kmsim="$top_srcdir/tests/kmsim-valgrind.sh"
tmp=$(mktemp -d /tmp/kmsim-faults.XXXXXX) || exit 99
bg=
mounts=
cleanup() {
    [ -n "$bg" ] && kill -9 "$bg" 2>/dev/null
    for m in $mounts; do umount "$m" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 99' INT TERM
unset KMSIM_TEST_CRASH_POINT
fails=0
n=0
skipped=

ok() { n=$((n + 1)); echo "ok $n: $*"; }
fail() { n=$((n + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }

# Work sizes: under valgrind everything is ~30x slower, so less of it.
# full: the small tmpfs (it must not hold a sweep's journal); ul: the
# ulimit -f blocks (512 B in dash, 1 KiB in bash) between the size of the
# sweep's journal and that of its runs.csv (journal ~0.73 MB with its
# histogram lines, issue 23; runs.csv ~1.96 MB).
if [ -n "${KMSIM_VALGRIND:-}" ]; then
    run_reps=3 cmp_reps=2 sw_reps=3 full=16k ul=250
else
    run_reps=24 cmp_reps=10 sw_reps=15 full=64k ul=1200
fi

# A few seconds for the run (about 0.1 s per replication), 2 x sw_reps
# points for the sweep.
cat >"$tmp/sc.yaml" <<'YAML'
name: faults
seed: 3
duration: 20min
replications: 10
protocol: {name: dini, rekey_every: 60s}
protocols:
  dipietro: {rekey_every: 60s}
topology:
  generator: star
  sources: 10
  smart_objects: 1
  subscribers: 1
  link: {latency: 2ms, bandwidth: 1Mbps}
traffic:
  interval: exp(1s)
  size: 32B
smart_object:
  service: exp(10ms)
sweep:
  topology.sources: [5, 10]
YAML
sc="$tmp/sc.yaml"

# The three commands, each as ARGS for "$kmsim" CMD "$sc" ARGS --out DIR.
run_args="--replications $run_reps"
compare_args="--protocols dini,dipietro --replications $cmp_reps"
sweep_args="--jobs 2 --replications $sw_reps"

# leftovers DIR: result CSVs and temporary files found under DIR.
leftovers() {
    find "$1" \( -name '*.csv' -o -name '*.tmp.*' \) 2>/dev/null | tr '\n' ' '
}

# one_line FILE PATTERN: FILE has exactly one line and it matches PATTERN.
one_line() {
    [ "$(wc -l <"$1")" -eq 1 ] && grep -Eq -- "$2" "$1"
}

# records FILE: the number of records in a sweep journal (0 if none).
records() {
    r=$(grep -c '^@' "$1" 2>/dev/null)
    echo "${r:-0}"
}

# wait_for TEST PID: polls (every 20 ms, at most 120 s) until the shell
# condition TEST holds while PID runs.  0 when it does, 1 if PID ended.
wait_for() {
    i=0
    until eval "$1"; do
        kill -0 "$2" 2>/dev/null || return 1
        i=$((i + 1))
        [ $i -gt 6000 ] && return 1
        sleep 0.02
    done
    return 0
}


# same_csvs A B WHAT: the three CSVs of A and B are identical.
same_csvs() {
    bad=
    for f in runs summary replications; do
        [ -s "$1/$f.csv" ] && cmp -s "$1/$f.csv" "$2/$f.csv" || bad="$bad $f.csv"
    done
    if [ -z "$bad" ]; then ok "$3: CSVs identical to an uninterrupted sweep"
    else fail "$3: differ from an uninterrupted sweep:$bad"; fi
}

# ---- --out that cannot be written ----------------------------------------
: >"$tmp/afile"
for cmd in run compare sweep; do
    eval "args=\$${cmd}_args"
    for out in "$tmp/afile/x" "/proc/kmsim-faults-$$/x"; do
        "$kmsim" $cmd "$sc" $args --out "$out" -q >"$tmp/out" 2>"$tmp/err"
        st=$?
        if [ $st -eq 1 ] && one_line "$tmp/err" "^kmsim: .*$out" &&
           [ ! -s "$tmp/out" ] && [ ! -s "$tmp/afile" ] && [ ! -e "${out%/x}" -o "$out" = "$tmp/afile/x" ]; then
            ok "$cmd --out $out: exit 1, $(cat "$tmp/err")"
        else
            fail "$cmd --out $out: exit $st: $(cat "$tmp/err")"
        fi
    done
done

# ---- an --out deeper than PATH_MAX ------------------------------------------
# (issue 20 #9) 3,000 levels: mkdir fails (ENAMETOOLONG) after 2,048 of
# them; every directory made is removed again and the message keeps the
# reason (the middle of the path is cut: its first and last 60 bytes
# stay).  Just under PATH_MAX: the directories are made, the files in them
# cannot be: the same.
mkdir "$tmp/deep"
deep() { awk -v n="$1" 'BEGIN { s = "a"; for (i = 1; i < n; i++) s = s "/a"; print s }'; }
pre=$(printf '%s' "$tmp/deep/" | wc -c)
for levels in 3000 $(( (4090 - pre) / 2 )); do
    out="$tmp/deep/$(deep $levels)"
    for cmd in run compare sweep; do
        eval "args=\$${cmd}_args"
        "$kmsim" $cmd "$sc" $args --out "$out" -q >"$tmp/out" 2>"$tmp/err"
        st=$?
        if [ $st -eq 1 ] && one_line "$tmp/err" '^kmsim: .*\.\.\..*: File name too long$' &&
           [ "$(wc -c <"$tmp/err")" -lt 600 ] &&
           [ -z "$(ls -A "$tmp/deep")" ] && [ ! -s "$tmp/out" ]; then
            ok "$cmd --out $levels levels deep: exit 1, nothing left, the reason kept: $(sed 's/.*: //' "$tmp/err")"
        else
            fail "$cmd --out $levels levels deep: exit $st, $(find "$tmp/deep" -type d | wc -l) directories left: $(cut -c1-300 "$tmp/err")"
        fi
        rm -rf "$tmp/deep"/*
    done
done

# ---- standard output cannot be written ------------------------------------
"$kmsim" run "$sc" --replications 1 --out "$tmp/full-stdout" >/dev/full 2>"$tmp/err"
st=$?
[ $st -eq 1 ] && one_line "$tmp/err" '^kmsim: cannot write to standard output: No space left on device$' &&
    ok "run >/dev/full: exit 1, $(cat "$tmp/err")" ||
    fail "run >/dev/full: exit $st: $(cat "$tmp/err")"

# ---- mounts: read-only, and a full disk ------------------------------------
can_mount=
mkdir "$tmp/probe"
if mount -t tmpfs -o size=64k tmpfs "$tmp/probe" 2>/dev/null; then
    umount "$tmp/probe"
    can_mount=1
else
    skipped="mount -t tmpfs is not permitted (not root?): the read-only and full-disk checks were skipped"
    echo "skip: $skipped"
fi

if [ -n "$can_mount" ]; then
    # read-only: a new directory on it, and the mount point itself
    mkdir "$tmp/ro"
    mount -t tmpfs -o ro,size=64k tmpfs "$tmp/ro" && mounts="$mounts $tmp/ro"
    for cmd in run compare sweep; do
        eval "args=\$${cmd}_args"
        for out in "$tmp/ro/x" "$tmp/ro"; do
            "$kmsim" $cmd "$sc" $args --out "$out" -q >"$tmp/out" 2>"$tmp/err"
            st=$?
            if [ $st -eq 1 ] && one_line "$tmp/err" "^kmsim: .*$out.*Read-only file system" &&
               [ -z "$(ls -A "$tmp/ro")" ]; then
                ok "$cmd --out $out (read-only): exit 1, $(cat "$tmp/err")"
            else
                fail "$cmd --out $out (read-only): exit $st: $(cat "$tmp/err")"
            fi
        done
    done

    # full: 64 KiB (16 under valgrind) hold neither the CSVs nor a sweep's journal
    mkdir "$tmp/full"
    mount -t tmpfs -o size=$full tmpfs "$tmp/full" && mounts="$mounts $tmp/full"
    for cmd in run compare; do
        eval "args=\$${cmd}_args"
        "$kmsim" $cmd "$sc" $args --out "$tmp/full/$cmd" -q >"$tmp/out" 2>"$tmp/err"
        st=$?
        if [ $st -eq 1 ] && one_line "$tmp/err" "^kmsim: .*$tmp/full/$cmd/.*: No space left on device$" &&
           [ -z "$(ls -A "$tmp/full")" ]; then
            ok "$cmd on a full disk: exit 1, nothing left, $(cat "$tmp/err")"
        else
            fail "$cmd on a full disk: exit $st, left: $(ls -A "$tmp/full"): $(cat "$tmp/err")"
        fi
        rm -rf "$tmp/full/$cmd"
    done
fi

# ---- ulimit -f: the same failure without root -----------------------------
# dash counts 512-byte blocks, bash 1024: 8 blocks hold no runs.csv.
for cmd in run compare; do
    eval "args=\$${cmd}_args"
    (ulimit -f 8 && trap '' XFSZ &&
        exec "$kmsim" $cmd "$sc" $args --out "$tmp/ul-$cmd" -q) >"$tmp/out" 2>"$tmp/err"
    st=$?
    if [ $st -eq 1 ] && one_line "$tmp/err" "^kmsim: .*$tmp/ul-$cmd/.*: File too large$" &&
       [ ! -e "$tmp/ul-$cmd" ]; then
        ok "$cmd over ulimit -f: exit 1, nothing left, $(cat "$tmp/err")"
    else
        fail "$cmd over ulimit -f: exit $st, left: $(leftovers "$tmp/ul-$cmd"): $(cat "$tmp/err")"
    fi
done

# Without the trap: kmsim itself ignores SIGXFSZ, so the default action
# (death by the signal, status 153, *.tmp.PID files and the directory
# left) never happens.
for cmd in run compare sweep; do
    eval "args=\$${cmd}_args"
    d="$tmp/ulnt-$cmd"
    (ulimit -f 8 && exec "$kmsim" $cmd "$sc" $args --out "$d" -q) >"$tmp/out" 2>"$tmp/err"
    st=$?
    if [ $cmd = sweep ]; then
        # the journal (it holds the points) stays; no CSV, no tmp file
        if [ $st -eq 1 ] && one_line "$tmp/err" "File too large" &&
           [ -z "$(leftovers "$d")" ]; then
            ok "$cmd over ulimit -f, SIGXFSZ not ignored by the shell: exit 1, $(cat "$tmp/err")"
        else
            fail "$cmd over ulimit -f, SIGXFSZ not ignored by the shell: exit $st, left: $(leftovers "$d"): $(cat "$tmp/err")"
        fi
        rm -rf "$d"
    elif [ $st -eq 1 ] && one_line "$tmp/err" "^kmsim: .*$d/.*: File too large$" &&
       [ ! -e "$d" ]; then
        ok "$cmd over ulimit -f, SIGXFSZ not ignored by the shell: exit 1, nothing left"
    else
        fail "$cmd over ulimit -f, SIGXFSZ not ignored by the shell: exit $st, left: $(leftovers "$d") $(ls -d "$d" 2>/dev/null): $(cat "$tmp/err")"
    fi
done

# ---- one process at a time in an --out directory ---------------------------
# Held by another process (flock(1) on the directory, as kmsim takes it):
# exit 1, one line, nothing written, the earlier results left as they were.
busy='another kmsim is writing results into this directory'
d="$tmp/locked"
"$kmsim" run "$sc" --replications 1 --out "$d" -q 2>"$tmp/err" ||
    fail "run into $d: $(cat "$tmp/err")"
cp "$d/summary.csv" "$tmp/locked-summary.csv"
cp "$d/run.yaml" "$tmp/locked-run.yaml"
for cmd in run compare; do
    eval "args=\$${cmd}_args"
    flock "$d" "$kmsim" $cmd "$sc" $args --seed 9 --out "$d" -q >"$tmp/out" 2>"$tmp/err"
    st=$?
    if [ $st -eq 1 ] && one_line "$tmp/err" "^kmsim: --out $d: $busy" &&
       [ "$(ls "$d" | tr '\n' ' ')" = "histograms.csv replications.csv run.yaml runs.csv summary.csv " ] &&
       cmp -s "$d/summary.csv" "$tmp/locked-summary.csv" &&
       cmp -s "$d/run.yaml" "$tmp/locked-run.yaml"; then
        ok "$cmd into a locked --out: exit 1, nothing written, $(cat "$tmp/err")"
    else
        fail "$cmd into a locked --out: exit $st, dir: $(ls "$d" | tr '\n' ' '): $(cat "$tmp/err")"
    fi
done

# Two runs (seeds 1 and 2) started together into one directory: never a
# mixed set (summary.csv's base_seed is replications.csv's first seed);
# a loser says why and exits 1.
for i in 1 2 3; do
    d="$tmp/race$i"
    "$kmsim" run "$sc" --replications 3 --seed 1 --out "$d" -q 2>"$tmp/err1" &
    p1=$!
    "$kmsim" run "$sc" --replications 3 --seed 2 --out "$d" -q 2>"$tmp/err2"
    s2=$?
    wait $p1
    s1=$?
    b=$(sed -n 2p "$d/summary.csv" | cut -d, -f5)
    r=$(sed -n 2p "$d/replications.csv" | cut -d, -f6)
    good=1
    [ -n "$b" ] && [ "$b" = "$r" ] || good=
    [ $s1 -eq 0 ] || { [ $s1 -eq 1 ] && one_line "$tmp/err1" "$busy"; } || good=
    [ $s2 -eq 0 ] || { [ $s2 -eq 1 ] && one_line "$tmp/err2" "$busy"; } || good=
    [ $s1 -eq 0 ] || [ $s2 -eq 0 ] || good=
    [ -z "$(find "$d" -name '*.tmp.*')" ] || good=
    if [ -n "$good" ]; then
        ok "two runs into one --out ($i): exits $s1 and $s2, one set (seed $b)"
    else
        fail "two runs into one --out ($i): exits $s1 and $s2, summary seed '$b', replications seed '$r': $(cat "$tmp/err1" "$tmp/err2")"
    fi
done

# (issue 20 #9) run, compare and sweep take the same lock (flock on the
# directory): whichever holds an --out, the others are refused.  The first
# command is stopped (SIGSTOP) once it holds the lock (its temporary files,
# or the sweep's journal, exist); the second must exit 1 with the message
# and change nothing in the directory; the first, continued, completes.
for pair in run:sweep sweep:run compare:sweep sweep:compare; do
    first=${pair%:*} second=${pair#*:}
    d="$tmp/pair-$first-$second"
    eval "a1=\$${first}_args"
    eval "a2=\$${second}_args"
    if [ $first = sweep ]; then
        held="[ -s '$d/sweep.journal' ]"
    else
        held="[ -n \"\$(find '$d' -name '*.tmp.*' 2>/dev/null)\" ]"
    fi
    "$kmsim" $first "$sc" $a1 --out "$d" -q >/dev/null 2>"$tmp/err1" &
    bg=$!
    if ! wait_for "$held" $bg; then
        wait $bg
        bg=
        fail "$first holding --out against $second: ended before it held the lock: $(cat "$tmp/err1")"
        continue
    fi
    kill -STOP $bg
    before=$(cd "$d" && find . | sort | cksum)
    "$kmsim" $second "$sc" $a2 --out "$d" -q >"$tmp/out" 2>"$tmp/err"
    st=$?
    after=$(cd "$d" && find . | sort | cksum)
    kill -CONT $bg
    wait $bg
    s1=$?
    bg=
    if [ $st -eq 1 ] && one_line "$tmp/err" "^kmsim: --out $d: $busy" &&
       [ "$before" = "$after" ] && [ ! -s "$tmp/out" ] && [ $s1 -eq 0 ] &&
       [ -s "$d/summary.csv" -o -s "$d/compare.csv" ] &&
       [ -z "$(find "$d" -name '*.tmp.*')" ]; then
        ok "$second into an --out a $first holds: exit 1, nothing changed; the $first completes"
    else
        fail "$second into an --out a $first holds: exit $st (the $first: $s1), directory changed: $([ "$before" = "$after" ] && echo no || echo yes): $(cat "$tmp/err" "$tmp/err1")"
    fi
done

# --out / is refused (exit 2) when the flag is read, before the scenario
# is: a missing scenario makes sure a kmsim that would accept it writes
# nothing into / (it fails on the scenario instead, and so this check).
for out in / /tmp/..; do
    "$kmsim" run "$tmp/missing.yaml" --out "$out" -q >"$tmp/out" 2>"$tmp/err"
    st=$?
    if [ $st -eq 2 ] && one_line "$tmp/err" "^kmsim: --out $out: refusing" &&
       [ ! -e /summary.csv ]; then
        ok "run --out $out: exit 2, $(cat "$tmp/err")"
    else
        fail "run --out $out: exit $st: $(cat "$tmp/err")"
    fi
done

# ---- SIGINT / SIGTERM during a run and a compare ----------------------------
# The signal goes ~0.5 s after the temporary files appear (the
# replications are running); the whole command takes several seconds.
for cmd in run compare; do
    eval "args=\$${cmd}_args"
    d="$tmp/sig-$cmd"
    for sig in INT TERM; do
        want=130
        [ $sig = TERM ] && want=143
        "$kmsim" $cmd "$sc" $args --out "$d" -q >"$tmp/out" 2>"$tmp/err" &
        bg=$!
        if wait_for "[ -n \"\$(find '$d' -name '*.tmp.*' 2>/dev/null)\" ]" $bg; then
            sleep 0.5
            kill -$sig $bg
            wait $bg
            st=$?
            bg=
            if [ $st -eq $want ] && one_line "$tmp/err" '^kmsim: .*interrupted.*no results written$' &&
               [ ! -e "$d" ] && [ ! -s "$tmp/out" ]; then
                ok "$cmd, SIG$sig: status $st, nothing left, $(cat "$tmp/err")"
            else
                fail "$cmd, SIG$sig: status $st (want $want), left: $(leftovers "$d"): $(cat "$tmp/err")"
            fi
        else
            wait $bg
            bg=
            fail "$cmd, SIG$sig: ended before its temporary files were seen: $(cat "$tmp/err")"
        fi
    done
    "$kmsim" $cmd "$sc" $args --out "$d" -q >"$tmp/out" 2>"$tmp/err"
    st=$?
    [ $st -eq 0 ] && [ -s "$d/summary.csv" -o -s "$d/compare.csv" ] && [ -z "$(find "$d" -name '*.tmp.*')" ] &&
        ok "$cmd after the interruptions: completes" ||
        fail "$cmd after the interruptions: exit $st: $(cat "$tmp/err")"
done

# ---- issue 20: SIGINT while the world is built ------------------------------
# Dini with one SO and a pool of 2^20 global keys spends seconds building
# its world before the first event: SIGINT 0.3 s in is seen there (the
# set-up loops poll the flag), the run ends by the signal, nothing left.
d="$tmp/sig-build"
"$kmsim" run "$top_srcdir/scenarios/dini-adjacent.yaml" --set protocol.pool=1048576 \
    --replications 1 --out "$d" -q >"$tmp/out" 2>"$tmp/err" &
bg=$!
sleep 0.3
kill -INT $bg
wait $bg
st=$?
bg=
if [ $st -eq 130 ] &&
   one_line "$tmp/err" '^kmsim: interrupted while building the world of replication 0; no results written$' &&
   [ ! -e "$d" ]; then
    ok "SIGINT while building the world: status 130, nothing left, $(cat "$tmp/err")"
else
    fail "SIGINT while building the world: status $st (want 130), left: $(leftovers "$d"): $(cat "$tmp/err")"
fi

# ---- issue 20: out of memory ends like any failed run -----------------------
# Under ulimit -v the default budget is 75% of the limit: a scenario whose
# estimate is over it is refused at once (exit 2); with the budget lifted
# (--max-memory 1000000GB) the allocation fails inside xmalloc, which removes the
# run's temporary files and directories and exits 1 with one line.  Not
# under ASan or valgrind (they need the address space).
if [ -z "${KMSIM_VALGRIND:-}" ] && ! grep -q __asan_init "$top_builddir/kmsim" 2>/dev/null; then
    big="$top_srcdir/scenarios/tree.yaml"
    d="$tmp/oom/d"
    (ulimit -v 400000 && exec "$kmsim" run "$big" --set topology.sources=2000000 \
        --set traffic.register_retry=0s --out "$d" -q) >"$tmp/out" 2>"$tmp/err"
    st=$?
    if [ $st -eq 2 ] && one_line "$tmp/err" '^--set topology.sources=2000000: expected peak memory .* over the budget of 293 MiB \(--max-memory' &&
       [ ! -e "$tmp/oom" ]; then
        ok "over the ulimit -v budget: refused before building, $(cat "$tmp/err")"
    else
        fail "over the ulimit -v budget: exit $st (want 2), left: $(leftovers "$tmp/oom"): $(cat "$tmp/err")"
    fi
    (ulimit -v 400000 && exec "$kmsim" run "$big" --set topology.sources=2000000 \
        --set traffic.register_retry=0s --set "traffic.interval=exp(1000h)" --max-memory 1000000GB --out "$d" -q) >"$tmp/out" 2>"$tmp/err"
    st=$?
    if [ $st -eq 1 ] && one_line "$tmp/err" '^kmsim: out of memory \(allocating [0-9]+ bytes\); no results written$' &&
       [ ! -e "$tmp/oom" ]; then
        ok "out of memory: exit 1, nothing left, $(cat "$tmp/err")"
    else
        fail "out of memory: exit $st (want 1), left: $(leftovers "$tmp/oom"): $(cat "$tmp/err")"
    fi
else
    echo "# out-of-memory checks not run: ASan and valgrind need the address space"
fi

# ---- sweeps ----------------------------------------------------------------
"$kmsim" sweep "$sc" $sweep_args --out "$tmp/sw-ref" -q >/dev/null 2>"$tmp/err" ||
    fail "uninterrupted sweep: $(cat "$tmp/err")"
npts=$((2 * sw_reps))

# interrupted_sweep NAME SIG HOW: runs the sweep into $tmp/NAME, sends SIG
# once its journal holds a record (HOW: pid = to the coordinator, group =
# to its process group, as a terminal's Ctrl-C), checks the aftermath.
interrupted_sweep() {
    d="$tmp/$1"
    want=130
    [ $2 = TERM ] && want=143
    if [ $3 = group ]; then
        setsid "$kmsim" sweep "$sc" $sweep_args --out "$d" >"$tmp/out" 2>"$tmp/err" &
    else
        "$kmsim" sweep "$sc" $sweep_args --out "$d" >"$tmp/out" 2>"$tmp/err" &
    fi
    bg=$!
    if ! wait_for "[ \$(records '$d/sweep.journal') -ge 1 ]" $bg; then
        wait $bg
        bg=
        fail "sweep, SIG$2 to the $3: ended before a point was in the journal: $(cat "$tmp/err")"
        return 1
    fi
    kids=$(cat /proc/[0-9]*/stat 2>/dev/null | awk -v p=$bg '$4 == p {print $1}')
    if [ $3 = group ]; then kill -$2 -$bg; else kill -$2 $bg; fi
    wait $bg
    st=$?
    bg=
    alive=
    for c in $kids; do
        [ -r /proc/$c/stat ] && [ "$(awk '{print $3}' /proc/$c/stat 2>/dev/null)" != Z ] &&
            grep -q kmsim /proc/$c/cmdline 2>/dev/null && alive="$alive $c"
    done
    had=$(records "$d/sweep.journal")
    if [ $st -eq $want ] && [ -z "$alive" ] &&
       one_line "$tmp/err" "^kmsim: interrupted: $had of $npts points are in $d/sweep.journal; run the same command again to resume$" &&
       [ -z "$(leftovers "$d")" ]; then
        ok "sweep, SIG$2 to the $3: status $st, workers stopped, $had points kept, no CSV"
    else
        fail "sweep, SIG$2 to the $3: status $st (want $want), workers alive:${alive:- none}, left: $(leftovers "$d"): $(cat "$tmp/err")"
    fi
    return 0
}

# resumed_sweep NAME WHAT: reruns the sweep of $tmp/NAME: it finds every
# record of the journal whole (nothing dropped or skipped) and resumes.
resumed_sweep() {
    d="$tmp/$1"
    had=$(records "$d/sweep.journal")
    "$kmsim" sweep "$sc" $sweep_args --out "$d" >"$tmp/out" 2>"$tmp/err"
    st=$?
    if [ $st -eq 0 ] && [ "$had" -ge 1 ] && ! grep -q 'dropping\|skipping' "$tmp/err" &&
       grep -q "^kmsim: resuming $d/sweep.journal: $had of $npts points already done$" "$tmp/err" &&
       grep -q "$npts selected: $((npts - had)) done, $had skipped" "$tmp/out"; then
        ok "$2: the rerun resumes, $had of $npts points already done"
    else
        fail "$2: rerun: exit $st: $(cat "$tmp/out" "$tmp/err")"
    fi
    same_csvs "$tmp/sw-ref" "$d" "$2"
}

for sig in INT TERM; do
    for how in pid group; do
        [ $how = group ] && ! command -v setsid >/dev/null && continue
        interrupted_sweep "sw-$sig-$how" $sig $how &&
            resumed_sweep "sw-$sig-$how" "sweep after SIG$sig to the $how"
    done
done

# A full disk stops the sweep (the journal cannot grow); with space back
# the same command resumes.
if [ -n "$can_mount" ]; then
    d="$tmp/full/sw"
    "$kmsim" sweep "$sc" $sweep_args --out "$d" >"$tmp/out" 2>"$tmp/err"
    st=$?
    had=$(records "$d/sweep.journal")
    if [ $st -eq 1 ] &&
       one_line "$tmp/err" "^kmsim: $d/sweep.journal: cannot write: No space left on device \($had of $npts points are in the journal; run the same command again to resume\)$" &&
       [ -z "$(leftovers "$tmp/full")" ] && [ "$had" -ge 1 ]; then
        ok "sweep on a full disk: exit 1, $had points kept, no CSV"
    else
        fail "sweep on a full disk: exit $st: $(cat "$tmp/err"); left: $(leftovers "$tmp/full")"
    fi
    if mount -o remount,size=8m "$tmp/full"; then
        resumed_sweep full/sw "sweep after a full disk"
    else
        fail "cannot remount $tmp/full larger"
    fi
fi

# ulimit -f between the journal's size and runs.csv's: every point gets
# into the journal, the CSVs cannot be written; without the limit the same
# command writes them from the journal.
d="$tmp/sw-ul"
(ulimit -f $ul && trap '' XFSZ &&
    exec "$kmsim" sweep "$sc" $sweep_args --out "$d") >"$tmp/out" 2>"$tmp/err"
st=$?
if [ $st -eq 1 ] && [ "$(records "$d/sweep.journal")" -eq $npts ] &&
   one_line "$tmp/err" "^kmsim: $d/runs.csv: write failed: File too large \(the points are kept in $d/sweep.journal: run the same command again to write them\)$" &&
   [ -z "$(leftovers "$d")" ]; then
    ok "sweep over ulimit -f: exit 1, every point in the journal, no CSV"
else
    fail "sweep over ulimit -f: exit $st, $(records "$d/sweep.journal") records, left: $(leftovers "$d"): $(cat "$tmp/err")"
fi
resumed_sweep sw-ul "sweep after ulimit -f"

echo "$n checks, $fails failed"
[ "$fails" -eq 0 ] || exit 1
if [ -n "$skipped" ]; then
    echo "SKIP: $skipped"
    exit 77
fi
exit 0
