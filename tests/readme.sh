#!/bin/sh
# readme.sh — every command of README.md is run or checked by a test, so
# the README cannot drift from the program (issue 21 #8).
#
# 1. Fences.  Every ```sh fence (also bash, shell, console) needs a marker
#    comment on the line before; a fence without one fails, naming
#    README.md:LINE.  The markers:
#      <!-- test -->              the fence runs with `sh -e` in a scratch
#                                 folder holding ./kmsim (the build's),
#                                 scenarios/, man/ and analysis/ (the
#                                 sources', figures drawn into the scratch
#                                 folder); a non-zero exit fails
#      <!-- test from STRING -->  the fence runs from the first STRING on;
#                                 what comes before is checked as `ci`
#      <!-- test ci -->           .ci/run does this: the fence is checked,
#                                 not run (tests/check.sh is the suite
#                                 itself: run inside make check it would
#                                 recurse)
#    A `ci` part is split at && ; and line ends.  `apt-get SUB` must be
#    run by .ci/run, and every package of `apt-get install` must be in
#    .ci/run's apt-get install list; any other command must be a command
#    line of .ci/run, verbatim but for -jN (make -j2 is make
#    -j"$(nproc)"), in .ci/run's order.  Conversely every build step of
#    .ci/run at its top level (autoreconf, ./configure, make but make
#    distcheck, tests/...) must be one of the README's `ci` commands.
#    A fence that draws (kmsim-plot, figures.sh) is skipped without
#    gnuplot.
# 2. Inline code spans that are commands: `kmsim ...`, `./kmsim ...`,
#    `kmsim-plot ...`, `man ...` (also analysis/kmsim-plot,
#    analysis/figures.sh, kmsim-figures; after VAR=value words).  A span
#    with a placeholder (`...`, `[`, `|`, `<`, an ALL-CAPS word such as
#    FILE, DIR, N, P, X) is skipped; every other one must be in the table
#    below (an unclassified span fails, so a new README command is added
#    there) and be run as the table says.  `kmsim run|compare|sweep` get
#    --set warmup=0s --until 10s --replications 1 -q --out TMP (those the
#    span does not give already), so long scenarios stay short (an
#    --until within the warm-up is refused, hence warmup=0s).  A .yaml the span names
#    must exist (as given or in scenarios/).  A table entry no span
#    matches fails too.  Minimum counts guard the extraction.
# 3. Usage synopses: a ``` block (no language) whose first line starts
#    with `kmsim ` or `kmsim-plot `: each `kmsim CMD` entry (and
#    kmsim-plot's) lists exactly the long options `kmsim CMD --help`
#    (`kmsim-plot --help`) prints, but --help and --version.
# 4. Self-test: mutated copies of the README and of .ci/run (an unmarked
#    fence, a package or a build step .ci/run lacks, a wrong synopsis, an
#    unclassified span, a missing scenario, a failing fence) must fail
#    with their message; an unmutated copy must pass.
#
# Environment: top_srcdir, top_builddir; README and CI_RUN (other files
# to check, for the self-test); READMESH_DRY=1 runs no command (parts 1
# and 2 checked statically only); READMESH_NOSELF=1 skips part 4.
set -u
top_srcdir=$(cd "${top_srcdir:-.}" && pwd) || exit 99
top_builddir=$(cd "${top_builddir:-.}" && pwd) || exit 99
readme=${README:-$top_srcdir/README.md}
cirun=${CI_RUN:-$top_srcdir/.ci/run}
dry=${READMESH_DRY:-0}
rname=$(basename "$readme")
kmsim="$top_builddir/kmsim"
plot="$top_srcdir/analysis/kmsim-plot"
tab=$(printf '\t')
tmp=$(mktemp -d /tmp/kmsim-readme.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0
n=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { n=$((n + 1)); echo "ok $n: $*"; }
[ -r "$readme" ] || { echo "cannot read $readme"; exit 99; }
[ -r "$cirun" ] || { echo "cannot read $cirun"; exit 99; }
have_gnuplot=0
command -v gnuplot >/dev/null 2>&1 && have_gnuplot=1

# The inline spans that are commands: SPAN :: ACTION, one a line (SPAN
# with single spaces, as the README has it with its line breaks joined).
#   run            run in the scratch folder; exit 0
#   installed      as after make install: in an empty folder with
#                  KMSIM_PATH naming the scenarios (tests/install.sh
#                  checks the real installed case); exit 0
#   validate       too large to run in a test: the same command with
#                  `validate` for its command word; exit 0
#   error N TEXT   documented as an error: exit N, output holds TEXT
#   name           a command's or tool's name in the prose (or an option
#                  shown with its command, without FILE): not run
cat >"$tmp/table" <<'EOF'
kmsim --help :: run
kmsim --version :: run
kmsim run --help :: run
kmsim metrics :: run
kmsim metrics 'dini.rekey*' :: run
kmsim metrics 'delay.so*' :: run
kmsim-plot --cdf --help :: run
man -l man/kmsim.1 :: run
kmsim run scenarios/eg-grid.yaml :: run
kmsim run scenarios/compare-seed001.yaml --protocol eg :: run
kmsim run scenarios/netkey-tree.yaml --replications 1 :: run
kmsim compare scenarios/attack-all.yaml :: run
kmsim run default.yaml :: installed
kmsim run scenarios/scale-eg-1e5.yaml :: validate
kmsim rnu :: error 2 unknown command 'rnu' (did you mean 'run'?
kmsim :: name
./kmsim :: name
kmsim run :: name
kmsim compare :: name
kmsim sweep :: name
kmsim validate :: name
kmsim-plot :: name
kmsim-figures :: name
analysis/kmsim-plot :: name
analysis/figures.sh :: name
kmsim compare --defences both :: name
kmsim sweep --vary defences=as_published,hardened :: name
kmsim db import :: name
EOF

# ---- 1. fences: the part to run into $tmp/f/run.K, the part .ci/run
# does into $tmp/f/ci.K, the fence's line into $tmp/f/line.K; marker
# errors into $tmp/f/bad
mkdir "$tmp/f" || exit 99
: >"$tmp/f/bad"
awk -v dir="$tmp/f" '
    function bad(at, msg) { print at ": " msg > (dir "/bad") }
    function ismarker(s) { return s ~ /^<!-- *test/ }
    !infence && /^```/ {
        info = substr($0, 4); sub(/^[ \t]+/, "", info); sub(/[ \t].*/, "", info)
        infence = 1; shell = info ~ /^(sh|bash|shell|console|zsh)$/
        if (shell) {
            k++; print NR > (dir "/line." k); close(dir "/line." k)
            runf = dir "/run." k; cif = dir "/ci." k
            printf "" > runf; printf "" > cif
            mode = "none"; arg = ""
            if (prev ~ /^<!-- test -->$/) mode = "all"
            else if (prev ~ /^<!-- test ci -->$/) mode = "ci"
            else if (prev ~ /^<!-- test from .+ -->$/) {
                mode = "from"; arg = prev
                sub(/^<!-- test from /, "", arg); sub(/ -->$/, "", arg)
            } else if (ismarker(prev))
                bad(NR - 1, "unknown marker \"" prev "\" (<!-- test -->, <!-- test from STRING --> or <!-- test ci -->)")
            else
                bad(NR, "```" info " fence without a marker on the line before (<!-- test -->, <!-- test from STRING --> or <!-- test ci -->)")
            started = mode == "all"
        } else if (ismarker(prev))
            bad(NR - 1, "marker not followed by a ```sh fence")
        prev = $0; next
    }
    infence && /^```/ {
        if (shell) {
            close(runf); close(cif)
            if (mode == "from" && !started)
                bad(NR, "fence does not contain its marker'"'"'s \"" arg "\"")
        }
        infence = 0; prev = $0; next
    }
    infence {
        prev = $0
        if (!shell || mode == "none") next
        line = $0
        if (mode == "ci") { print line > cif; next }
        if (!started) {
            i = index(line, arg)
            if (!i) { print line > cif; next }
            print substr(line, 1, i - 1) > cif
            line = substr(line, i); started = 1
        }
        print line > runf
        next
    }
    ismarker(prev) && !ismarker($0) { bad(NR - 1, "marker not followed by a ```sh fence") }
    { prev = $0 }
    END { if (infence) bad(NR, "fence not closed") }
' "$readme" || exit 99
while IFS= read -r b; do
    fail "$rname:$b"
done <"$tmp/f/bad"
k=0
for f in "$tmp"/f/line.*; do
    [ -e "$f" ] && k=$((k + 1))
done
[ "$k" -ge 4 ] || fail "only $k shell fences found in $rname (at least 4)"

# ---- 1b. the `ci` parts against .ci/run
: >"$tmp/ci"
# in README order: fence numbers sorted as numbers (the glob puts ci.10
# before ci.2)
for i in $(cd "$tmp/f" && ls | sed -n 's/^ci\.//p' | sort -n); do
    f="$tmp/f/ci.$i"
    at=$(cat "$tmp/f/line.$i")
    # join continuation lines, then one command a line: LINE<TAB>command
    awk -v at="$at" '
        { s = s $0; if (s ~ /\\$/) { sub(/\\$/, "", s); next }
          t = t s "\n"; s = "" }
        END {
            t = t s; gsub(/&&|;|\|\|/, "\n", t)
            m = split(t, c, "\n")
            for (j = 1; j <= m; j++) {
                x = c[j]; gsub(/[ \t]+/, " ", x); sub(/^ /, "", x); sub(/ $/, "", x)
                if (x != "") print at "\t" x
            }
        }' "$f" >>"$tmp/ci"
done
awk -F "$tab" -v rd="$rname" -v ci=".ci/run" '
    function norm(s,   w, m, j, r) {
        m = split(s, w, " "); r = ""
        for (j = 1; j <= m; j++) {
            if (w[j] ~ /^-j/) w[j] = "-jN"
            r = r (j > 1 ? " " : "") w[j]
        }
        return r
    }
    function fail(msg) { print "FAIL: " msg; bad++ }
    FNR == NR {                     # .ci/run: its logical lines
        s = s $0; if (s ~ /\\$/) { sub(/\\$/, "", s); next }
        line = s; s = ""
        top = line ~ /^[^ \t]/
        sub(/^[ \t]+/, "", line); sub(/^\$SUDO /, "", line)
        if (line ~ /^#/ || line == "") next
        line = norm(line); nl++; cl[nl] = line; ctop[nl] = top
        m = split(line, w, " ")
        if (w[1] == "apt-get") {
            sub1 = ""
            for (j = 2; j <= m; j++) {
                if (w[j] ~ /^-/) continue
                if (sub1 == "") { sub1 = w[j]; apt[sub1] = 1; continue }
                if (sub1 == "install") pkg[w[j]] = 1
            }
        }
        next
    }
    {
        at = $1; cmd = norm($2); nc++
        m = split(cmd, w, " ")
        if (w[1] == "apt-get") {
            sub1 = ""
            for (j = 2; j <= m; j++) {
                if (w[j] ~ /^-/) continue
                if (sub1 == "") {
                    sub1 = w[j]
                    if (!(sub1 in apt))
                        fail(rd ":" at ": apt-get " sub1 " is not run by " ci)
                    if (sub1 == "install") installs++
                    continue
                }
                if (sub1 == "install" && !(w[j] in pkg))
                    fail(rd ":" at ": package " w[j] " is not in " ci "'"'"'s apt-get install list")
            }
            if (sub1 != "") checked++
            next
        }
        hit = 0
        for (j = last + 1; j <= nl; j++) if (cl[j] == cmd) { hit = j; break }
        if (hit) { last = hit; seen[hit] = 1; checked++; next }
        for (j = 1; j <= last; j++) if (cl[j] == cmd) hit = j
        if (hit) fail(rd ":" at ": \"" $2 "\" comes before the previous command in " ci)
        else fail(rd ":" at ": \"" $2 "\" is not a command line of " ci)
    }
    END {
        if (!installs) fail(rd ": no apt-get install among the commands .ci/run does")
        for (j = 1; j <= nl; j++) {
            if (!ctop[j] || seen[j] || cl[j] ~ /distcheck/) continue
            if (cl[j] ~ /^(autoreconf|\.\/configure|make)( |$)/ || cl[j] ~ /^tests\//)
                fail(ci " runs \"" cl[j] "\" but no README command marked ci or from does")
        }
        print checked + 0 > "/dev/stderr"
    }
' "$cirun" "$tmp/ci" 2>"$tmp/ci.count" >"$tmp/ci.out"
cat "$tmp/ci.out"
fails=$((fails + $(grep -c '^FAIL' "$tmp/ci.out")))
nci=$(cat "$tmp/ci.count")
if [ "$nci" -ge 5 ]; then
    ok "$nci commands marked ci are what .ci/run does"
else
    fail "only $nci commands checked against .ci/run (at least 5)"
fi

# ---- the scratch folder
mkdir "$tmp/run" "$tmp/run/analysis" "$tmp/bin" "$tmp/empty" "$tmp/out" || exit 99
ln -s "$kmsim" "$tmp/run/kmsim" &&
ln -s "$top_srcdir/scenarios" "$tmp/run/scenarios" &&
ln -s "$top_srcdir/man" "$tmp/run/man" &&
ln -s "$top_srcdir/analysis/figures.sh" "$tmp/run/analysis/figures.sh" &&
ln -s "$top_srcdir/analysis/figure-queue.sh" "$tmp/run/analysis/figure-queue.sh" &&
ln -s "$plot" "$tmp/run/analysis/kmsim-plot" &&
ln -s "$kmsim" "$tmp/bin/kmsim" &&
ln -s "$plot" "$tmp/bin/kmsim-plot" || exit 99
PATH="$tmp/bin:$PATH"
MANPAGER=cat PAGER=cat MANWIDTH=80
export PATH MANPAGER PAGER MANWIDTH

# now_ms: wall-clock milliseconds (per-command times)
now_ms() {
    ns=$(date +%s%N)
    case $ns in
    *[!0-9]*) echo $(($(date +%s) * 1000)) ;;
    *) echo $((ns / 1000000)) ;;
    esac
}

# ---- 1c. run the fences' run parts
if [ "$dry" != 1 ]; then
    for f in "$tmp"/f/run.*; do
        [ -e "$f" ] || break
        [ -s "$f" ] || continue
        i=${f##*.}
        at="$rname:$(cat "$tmp/f/line.$i")"
        if grep -qE 'kmsim-plot|figures\.sh|figure-queue\.sh' "$f" && [ "$have_gnuplot" = 0 ]; then
            ok "$at skipped (no gnuplot)"
            continue
        fi
        t0=$(now_ms)
        if (cd "$tmp/run" && sh -e "$f") >"$tmp/out.log" 2>&1; then
            ok "$at ($(($(now_ms) - t0)) ms): $(head -n 1 "$f")"
        else
            fail "$at exits non-zero:"
            sed 's/^/    /' "$f"
            tail -n 20 "$tmp/out.log"
        fi
    done
fi

# ---- 2. inline code spans: LINE<TAB>SPAN, whitespace collapsed, each
# command once
awk '
    /^```/ { fence = !fence; open = 0; next }
    fence { next }
    /^[ \t]*$/ { open = 0; next }
    {
        s = $0
        if (open) buf = buf " "
        while (s != "") {
            i = index(s, "`")
            if (!open) {
                if (!i) break
                j = i; while (substr(s, j, 1) == "`") j++
                tick = substr(s, i, j - i); s = substr(s, j)
                open = 1; buf = ""; at = NR
                continue
            }
            i = index(s, tick)
            if (!i) { buf = buf s; break }
            j = i; while (substr(s, j, 1) == "`") j++
            if (j - i != length(tick)) {
                buf = buf substr(s, 1, j - 1); s = substr(s, j); continue
            }
            buf = buf substr(s, 1, i - 1); s = substr(s, j); open = 0
            gsub(/[ \t]+/, " ", buf); sub(/^ /, "", buf); sub(/ $/, "", buf)
            t = buf
            while (match(t, /^[A-Za-z_][A-Za-z0-9_]*=[^ ]* /))
                t = substr(t, RLENGTH + 1)
            split(t, w, " ")
            if (w[1] !~ /^(kmsim|\.\/kmsim|kmsim-plot|analysis\/kmsim-plot|kmsim-figures|analysis\/figures\.sh|man)$/)
                continue
            if (buf in done) continue
            done[buf] = 1
            print at "\t" buf
        }
    }
' "$readme" >"$tmp/spans" || exit 99

# classify: LINE<TAB>ACTION<TAB>SPAN; ACTION placeholder, unclassified or
# the table's; then the table entries no span matched (LINE 0, stale)
awk -F "$tab" -v tablef="$tmp/table" '
    function placeholder(s,   t, m, w, j) {
        if (index(s, "...") || index(s, "[") || index(s, "|") || index(s, "<"))
            return 1
        t = s
        while (match(t, /^[A-Za-z_][A-Za-z0-9_]*=[^ ]* /))
            t = substr(t, RLENGTH + 1)
        gsub(/[^A-Za-z0-9_]/, " ", t)
        m = split(t, w, " ")
        for (j = 1; j <= m; j++) if (w[j] ~ /^[A-Z][A-Z0-9_]*$/) return 1
        return 0
    }
    BEGIN {
        while ((getline l < tablef) > 0) {
            i = index(l, " :: ")
            if (!i) continue
            act[substr(l, 1, i - 1)] = substr(l, i + 4)
        }
    }
    {
        if (placeholder($2)) a = "placeholder"
        else if ($2 in act) { a = act[$2]; used[$2] = 1 }
        else a = "unclassified"
        print $1 "\t" a "\t" $2
    }
    END { for (s in act) if (!(s in used)) print "0\tstale\t" s }
' "$tmp/spans" >"$tmp/classified" || exit 99

nrun=0 nerr=0 nval=0 nname=0 nph=0 nskip=0
while IFS="$tab" read -r line act span; do
    at="$rname:$line"
    case $act in
    placeholder) nph=$((nph + 1)); continue ;;
    stale)
        fail "table entry \`$span\` matches no command span of $rname (remove it from tests/readme.sh)"
        continue ;;
    esac
    # the scenarios a span names exist
    missing=
    for w in $span; do
        w=${w#\'}; w=${w%\'}
        case $w in
        *.yaml)
            [ -f "$top_srcdir/$w" ] || [ -f "$top_srcdir/scenarios/$w" ] ||
                missing="$missing $w" ;;
        esac
    done
    if [ -n "$missing" ]; then
        fail "$at: \`$span\` names a scenario that does not exist:$missing"
        continue
    fi
    case $act in
    unclassified)
        fail "$at: \`$span\` is not classified: add it to the table in tests/readme.sh (run, installed, validate, error N TEXT or name)"
        continue ;;
    name) nname=$((nname + 1)); continue ;;
    esac
    [ "$dry" = 1 ] && continue
    set -f
    set -- $span
    set +f
    cmd=$span
    extra=
    case $act:$1 in run:kmsim|run:./kmsim|installed:kmsim|installed:./kmsim)
        case ${2:-} in run|compare|sweep)
            case " $span " in *" --help "*|*" --list "*|*" -h "*) ;; *)
                case " $span " in *" --until"*|*" warmup="*) ;; *)
                    extra="$extra --set warmup=0s --until 10s" ;; esac
                case " $span " in *" --replications"*) ;; *) extra="$extra --replications 1" ;; esac
                case " $span " in *" -q "*|*" --quiet "*) ;; *) extra="$extra -q" ;; esac
                case " $span " in *" --out"*) ;; *) extra="$extra --out $tmp/out/$line" ;; esac
            esac
        esac
    esac
    case $span in *kmsim-plot*|*figures*)
        if [ "$have_gnuplot" = 0 ]; then
            nskip=$((nskip + 1)); ok "$at skipped (no gnuplot): $span"; continue
        fi
    esac
    if [ "$1" = man ] && ! command -v man >/dev/null 2>&1; then
        nskip=$((nskip + 1)); ok "$at skipped (no man): $span"; continue
    fi
    dir="$tmp/run"
    envs=
    case $act in
    installed) dir="$tmp/empty"; envs="KMSIM_PATH=$tmp/run/scenarios" ;;
    validate)
        k1=$1
        shift 2
        cmd="$k1 validate $*"
        case $cmd in kmsim*) ;; *) fail "$at: validate needs kmsim CMD FILE"; continue ;; esac ;;
    esac
    t0=$(now_ms)
    (cd "$dir" && env $envs sh -c "$cmd$extra") >"$tmp/out.log" 2>&1
    rc=$?
    ms=$(($(now_ms) - t0))
    case $act in
    error\ *)
        rest=${act#error }
        want=${rest%% *}
        text=${rest#* }
        if [ "$rc" = "$want" ] && grep -qF -- "$text" "$tmp/out.log"; then
            nerr=$((nerr + 1))
            ok "$at ($ms ms): \`$span\` exits $rc with \"$text\""
        else
            fail "$at: \`$span\` exits $rc (expected $want) and says:"
            tail -n 5 "$tmp/out.log"
        fi ;;
    *)
        if [ "$rc" = 0 ]; then
            [ "$act" = validate ] && nval=$((nval + 1)) || nrun=$((nrun + 1))
            ok "$at ($ms ms): \`$cmd$extra\`"
        else
            fail "$at: \`$cmd$extra\` exits $rc:"
            tail -n 10 "$tmp/out.log"
        fi ;;
    esac
done <"$tmp/classified"
echo "spans: $nrun run, $nerr checked as errors, $nval validated, $nskip skipped (tool missing), $nname names, $nph skipped as placeholders"
if [ "$dry" != 1 ]; then
    [ $((nrun + nskip)) -ge 8 ] || fail "only $((nrun + nskip)) command spans run (at least 8)"
    [ "$nerr" -ge 1 ] || fail "no command span checked as an error (at least 1)"
fi
[ "$nph" -ge 3 ] || fail "only $nph command spans with placeholders (at least 3)"

# ---- 3. synopses: LINE<TAB>CMD<TAB>options
awk '
    function flush() {
        if (cmd != "") print at "\t" cmd "\t" opts
        cmd = ""; opts = ""
    }
    /^```/ {
        if (infence) { flush(); infence = 0; syn = 0; next }
        infence = 1; syn = 0; plain = $0 ~ /^```[ \t]*$/; first = 1; next
    }
    !infence { next }
    first { first = 0; syn = plain && $0 ~ /^(kmsim|kmsim-plot) / }
    !syn { next }
    /^kmsim/ {
        flush()
        split($0, w, " ")
        if (w[1] == "kmsim-plot") cmd = "plot"
        else if (w[2] ~ /^(run|compare|sweep|validate|metrics)$/) cmd = w[2]
        else cmd = ""             # kmsim --help | --version, kmsim COMMAND --help
        at = NR
    }
    cmd != "" {
        s = $0
        while (match(s, /--[a-z][a-z-]*/)) {
            o = substr(s, RSTART, RLENGTH)
            if (o != "--help" && o != "--version") opts = opts " " o
            s = substr(s, RSTART + RLENGTH)
        }
    }
' "$readme" >"$tmp/syn" || exit 99
# help_opts CMD: the long options of CMD's help page, one a line
help_opts() {
    if [ "$1" = plot ]; then sh "$plot" --help; else "$kmsim" "$1" --help; fi |
        sed -n 's/^  \(-.*\)/\1/p' | sed 's/   .*//' |
        grep -oE -- '--[a-z][a-z-]*' | grep -vxE -- '--help|--version' | sort -u
}
seen=
while IFS="$tab" read -r line cmd opts; do
    help_opts "$cmd" >"$tmp/h" || { fail "$cmd --help"; continue; }
    : >"$tmp/r"
    [ -n "$opts" ] && printf '%s\n' $opts | sort -u >"$tmp/r"
    d1=$(comm -23 "$tmp/h" "$tmp/r" | tr '\n' ' ')
    d2=$(comm -13 "$tmp/h" "$tmp/r" | tr '\n' ' ')
    what="kmsim $cmd"
    [ "$cmd" = plot ] && what=kmsim-plot
    if [ -z "$d1$d2" ]; then
        ok "$rname:$line: the synopsis of $what lists the $(wc -l <"$tmp/h") options of its --help"
    else
        [ -n "$d1" ] && fail "$rname:$line: $what --help lists ${d1}but the README synopsis does not"
        [ -n "$d2" ] && fail "$rname:$line: the README synopsis of $what lists ${d2}but $what --help does not"
    fi
    seen="$seen $cmd"
done <"$tmp/syn"
for c in run compare sweep validate metrics plot; do
    case " $seen " in *" $c "*) ;; *) fail "no usage synopsis of $c found in $rname" ;; esac
done

# ---- 4. self-test: mutated copies fail with their message
# selftest NAME TEXT README-SED [CI-SED [DRY]]: the copy edited by the
# sed scripts fails (dry unless DRY is 0) and says TEXT; README-SED -
# keeps $tmp/self/NAME/README.md as written before
selftest() {
    d="$tmp/self/$1"
    mkdir -p "$d" || exit 99
    if [ "$3" != - ]; then sed "$3" "$readme" >"$d/README.md" || exit 99; fi
    sed "${4:-}" "$cirun" >"$d/run" || exit 99
    if cmp -s "$d/README.md" "$readme" && cmp -s "$d/run" "$cirun"; then
        fail "self-test $1: the mutation changed nothing"
    elif README="$d/README.md" CI_RUN="$d/run" READMESH_DRY=${5:-1} \
         READMESH_NOSELF=1 sh "$0" >"$d/out" 2>&1; then
        fail "self-test $1: the mutated copy passes"
    elif grep -qF -- "$2" "$d/out"; then
        ok "self-test $1: fails with \"$2\""
    else
        fail "self-test $1: fails without \"$2\":"
        grep FAIL "$d/out" | head -n 5
    fi
}
if [ "${READMESH_NOSELF:-0}" != 1 ]; then
    d="$tmp/self/control"
    mkdir -p "$d" && cp "$readme" "$d/README.md" && cp "$cirun" "$d/run" || exit 99
    if README="$d/README.md" CI_RUN="$d/run" READMESH_DRY=1 READMESH_NOSELF=1 \
       sh "$0" >"$d/out" 2>&1; then
        ok "self-test control: an unmutated copy passes"
    else
        fail "self-test control: an unmutated copy fails:"
        grep FAIL "$d/out" | head -n 5
    fi
    selftest unmarked "fence without a marker" '/^<!-- test ci -->$/d'
    selftest badmarker "unknown marker" 's/^<!-- test -->$/<!-- test skip x -->/'
    selftest package "package libfoo-dev is not in" \
        '/apt-get install/s/ libcunit1-dev / libcunit1-dev libfoo-dev /'
    selftest cipackage "package groff-base is not in" '' 's/ groff-base//'
    selftest configure '"./configure --enable-foo" is not a command line' \
        '/apt-get install/s/&& \.\/configure &&/\&\& .\/configure --enable-foo \&\&/'
    selftest check '"tests/check.sh -v" is not a command line' \
        's/^tests\/check\.sh$/tests\/check.sh -v/'
    selftest cibuild 'runs "make -jN" but no README' \
        '/apt-get install/s/ && make -j2 / /'
    selftest synmissing "lists --per-node but the README synopsis does not" \
        's/ \[--per-node\]//'
    selftest synextra "lists --bogus but kmsim run --help does not" \
        's/ \[--per-node\]/ [--per-node] [--bogus]/'
    selftest unclassified "is not classified" \
        '$a\
Also `kmsim run scenarios/quickstart.yaml --seed 7`.'
    selftest noscenario "names a scenario that does not exist: scenarios/nosuch.yaml" \
        's/`kmsim run scenarios\/eg-grid.yaml`/`kmsim run scenarios\/nosuch.yaml`/'
    selftest stale "matches no command span" 's/`kmsim rnu`/`kmsim-rnu`/'
    # a fence that fails, run (not dry) in a README of its own
    mkdir -p "$tmp/self/fencefails" || exit 99
    printf '%s\n' '<!-- test -->' '```sh' './kmsim run scenarios/quickstart.yaml' \
        './kmsim run scenarios/nosuch.yaml' '```' >"$tmp/self/fencefails/README.md"
    selftest fencefails "$rname:2 exits non-zero" - '' 0
fi

echo "$n ok, $fails failed"
[ "$fails" = 0 ]
