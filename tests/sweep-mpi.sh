#!/bin/sh
# sweep-mpi.sh — an MPI sweep (mpirun -np 2, TCP on the loopback
# interface) writes exactly the CSVs of a local sweep.  Skipped (77)
# unless kmsim was configured --with-mpi.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
kmsim="$top_builddir/kmsim"
# make check-valgrind: kmsim under valgrind memcheck
[ -n "${KMSIM_VALGRIND:-}" ] && kmsim="$top_srcdir/tests/kmsim-valgrind.sh"
if [ "${with_mpi:-no}" != yes ] && ! "$kmsim" --version | grep -q MPI; then
    echo "skip: kmsim built without MPI (configure --with-mpi)"
    exit 77
fi
command -v mpirun >/dev/null || { echo "skip: no mpirun"; exit 77; }
tmp=$(mktemp -d /tmp/kmsim-mpi.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
# root in CI containers; two ranks even on one core; TCP over lo only
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl=self,tcp
export OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo
export OMPI_MCA_mpi_yield_when_idle=1

cat >"$tmp/s.yaml" <<'YAML'
name: mpi-sweep
seed: 7
duration: 3min
replications: 3
protocol: {name: dini}
protocols: {dipietro: , eg: {pool: 200, ring: 30}}
topology: {generator: star, sources: 4, smart_objects: 1}
traffic: {interval: exp(20s), size: 64B}
sweep:
  protocol.name: [dini, dipietro, eg]
  topology.sources: [2, 6]
YAML
fails=0
"$kmsim" sweep "$tmp/s.yaml" --jobs 2 --out "$tmp/local" -q ||
    { echo "FAIL: local sweep"; exit 1; }
mpirun -np 2 "$kmsim" sweep "$tmp/s.yaml" --out "$tmp/mpi" \
    >"$tmp/mpi.out" 2>"$tmp/mpi.err" ||
    { echo "FAIL: mpirun -np 2 sweep"; cat "$tmp/mpi.out" "$tmp/mpi.err"; exit 1; }
cat "$tmp/mpi.out"
for f in runs.csv summary.csv replications.csv; do
    if cmp "$tmp/local/$f" "$tmp/mpi/$f"; then
        echo "ok: $f identical (local --jobs 2 vs mpirun -np 2)"
    else
        echo "FAIL: $f differs"; fails=$((fails + 1))
    fi
done
# all 18 points ran now, and rank 1 ran some of them
grep -q "18 done, 0 skipped" "$tmp/mpi.out" ||
    { echo "FAIL: expected 18 points done"; fails=$((fails + 1)); }
grep -Eq "MPI: 2 ranks; [1-9][0-9]* points run on ranks other than 0" \
    "$tmp/mpi.out" ||
    { echo "FAIL: rank 1 ran no point"; fails=$((fails + 1)); }
# resume under MPI: nothing left to run, same files
mpirun -np 2 "$kmsim" sweep "$tmp/s.yaml" --out "$tmp/mpi" -q ||
    { echo "FAIL: resumed MPI sweep"; fails=$((fails + 1)); }
cmp "$tmp/local/runs.csv" "$tmp/mpi/runs.csv" ||
    { echo "FAIL: runs.csv after resume"; fails=$((fails + 1)); }
[ "$fails" -eq 0 ] && echo "PASS: MPI sweep = local sweep"
exit $((fails != 0))
