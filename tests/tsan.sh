#!/bin/sh
# tsan.sh — `--threads 2` under ThreadSanitizer (kmsim extension,
# sim/THREADS.md).  Builds kmsim and tests/test_world with
# -fsanitize=thread in a build directory of its own (out of the source
# tree; a tree configured in place is first copied with `make distdir`,
# as automake refuses a second build of a configured tree), then runs
# test_world (its two-partition and two-thread cases) and
# `kmsim run --threads 2` on every shipped scenario that runs on two
# threads (kmsim validate --threads 2 accepts it; one replication, the
# scale-* ones with 1000 sources at the same density).  Any
# ThreadSanitizer report fails it.  First it checks that ThreadSanitizer
# works here at all: a program with a planted race must be reported, and
# the same program without the race must not.
#
# Usage: tests/tsan.sh [SRCDIR]   (default: the tree holding this script)
# TSAN_BUILD=DIR keeps the build in DIR (default: a temporary directory,
# removed at the end); TSAN_JOBS=N make jobs (default: the processors).
# Not part of `make check` (a second full build); .ci/run runs it.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
srcdir=$(cd "${1:-${top_srcdir:-$here}}" && pwd)
tmp=$(mktemp -d /tmp/kmsim-tsan.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
build=${TSAN_BUILD:-$tmp/build}
flags='-O1 -g -fsanitize=thread'
fails=0
n=0
ran=0
ok() { n=$((n + 1)); echo "ok $n: $*"; }
fail() { n=$((n + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }

# ThreadSanitizer works: a planted race is reported, no race no report.
cat >"$tmp/race.c" <<'EOF'
#include <pthread.h>
static int x;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static void *bump(void *lock)
{
    if (lock) pthread_mutex_lock(&m);
    x++;
    if (lock) pthread_mutex_unlock(&m);
    return NULL;
}
int main(int argc, char **argv)
{
    pthread_t t;
    void *lock = argc > 1 ? NULL : (void *)1;
    (void)argv;
    pthread_create(&t, NULL, bump, lock);
    bump(lock);
    pthread_join(t, NULL);
    return 0;
}
EOF
if ! ${CC:-cc} $flags -pthread "$tmp/race.c" -o "$tmp/race" 2>"$tmp/cc.err"
then
    echo "FAIL: cannot build with -fsanitize=thread (libtsan missing?):"
    cat "$tmp/cc.err"
    exit 1
fi
export TSAN_OPTIONS="halt_on_error=0 exitcode=66 second_deadlock_stack=1"
"$tmp/race" race 2>"$tmp/race.err"
rc=$?
if [ $rc -eq 66 ] && grep -q 'WARNING: ThreadSanitizer: data race' \
       "$tmp/race.err"; then
    ok "ThreadSanitizer reports a planted race"
else
    echo "FAIL: ThreadSanitizer does not work here (exit $rc):"
    head -n 5 "$tmp/race.err"
    exit 1
fi
if "$tmp/race" 2>"$tmp/norace.err" && [ ! -s "$tmp/norace.err" ]; then
    ok "ThreadSanitizer is quiet without a race"
else
    fail "ThreadSanitizer reports a race-free program:"
    head -n 5 "$tmp/norace.err"
fi

# The build, out of the source tree.
src=$srcdir
if [ -f "$srcdir/config.status" ]; then
    if ! make -C "$srcdir" distdir distdir="$tmp/src" >"$tmp/dist.log" 2>&1
    then
        echo "FAIL: make distdir:"; tail -n 20 "$tmp/dist.log"; exit 1
    fi
    src=$tmp/src
elif [ ! -x "$srcdir/configure" ]; then
    (cd "$srcdir" && autoreconf -fi) || exit 1
fi
mkdir -p "$build"
if ! (cd "$build" &&
      "$src/configure" -q CFLAGS="$flags" LDFLAGS=-fsanitize=thread &&
      make -j"${TSAN_JOBS:-$(nproc 2>/dev/null || echo 2)}" kmsim \
          tests/test_world) >"$tmp/build.log" 2>&1; then
    echo "FAIL: the ThreadSanitizer build:"; tail -n 30 "$tmp/build.log"
    exit 1
fi
ok "kmsim and tests/test_world built with $flags"

# tsan_ran WHAT LOG RC: a run without any ThreadSanitizer report
tsan_ran() {
    if [ "$3" -eq 0 ] && ! grep -q 'ThreadSanitizer' "$2"; then
        ok "$1"
    else
        fail "$1 (exit $3):"
        grep -A 12 'WARNING: ThreadSanitizer' "$2" | head -n 40
        grep -q 'ThreadSanitizer' "$2" || tail -n 5 "$2"
    fi
}

(cd "$build" && top_srcdir=$src ./tests/test_world) >"$tmp/tw.log" 2>&1
rc=$?
tsan_ran "tests/test_world ($(grep -E '^ *asserts' "$tmp/tw.log" |
          tr -s ' ' | sed 's/^ //'))" "$tmp/tw.log" $rc

for sc in "$src"/scenarios/*.yaml; do
    name=$(basename "$sc" .yaml)
    set --
    case "$name" in
    scale-*) set -- --set topology.sources=1000 \
                 --set topology.smart_objects=20 \
                 --set 'topology.area=[316m, 316m]' ;;
    esac
    "$build/kmsim" validate "$sc" --threads 2 "$@" >/dev/null 2>&1 ||
        continue                     # refused: nothing runs on two threads
    # traced (--pcap, --keylog: the partitions' logs merged at the barriers)
    "$build/kmsim" run "$sc" "$@" --replications 1 --quiet --threads 2 \
        --out "$tmp/out-$name" --pcap "$tmp/$name.pcap" \
        --keylog "$tmp/$name.keys" >"$tmp/$name.log" 2>&1
    rc=$?
    ran=$((ran + 1))
    tsan_ran "kmsim run --threads 2 --pcap $name" "$tmp/$name.log" $rc
    rm -rf "$tmp/out-$name" "$tmp/$name.pcap" "$tmp/$name.keys"
done
[ $ran -gt 0 ] || fail "no shipped scenario runs on two threads"

echo "tsan.sh: $ran scenarios run with --threads 2 under ThreadSanitizer," \
     "$fails failure(s)"
[ "$fails" -eq 0 ]
