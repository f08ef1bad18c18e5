#!/bin/sh
# percentiles.sh — the p95 of the SO sojourn time of seed 000's M/M/1
# scenario (mm1-seed000.yaml, with one subscriber so that each datum's SO
# queue and service is measured as delay.so: the samples of queue.W),
# against the M/M/1 sojourn distribution W ~ Exp(mu - lambda): the p-th
# quantile is -ln(1 - p) / (mu - lambda), p95 = ln(20) / (mu - lambda).
# Measured from the simulated messages (kmsim's histogram), compared with
# the formula (lambda and mu from the scenario, as queue.*.theory).
# Tolerance for the pooled quantile of histograms.csv: 3 standard errors of
# a sample quantile, sqrt(p (1 - p) / n) / f(q) with f(q) = (mu - lambda)
# (1 - p) the density at q (asymptotic; successive sojourns are nearly
# independent at rho = 0.04), plus one bin width (1%, the histogram's
# bound).  And the replications' mean of delay.so.p95 (summary.csv) must
# have the formula inside its 95% CI widened by 1%.  A wrong formula
# (Exp(mu): ln(20) / mu) must fall outside the tolerance, so the check can
# fail.  The awk quantile is written apart from kmsim's C (metrics.c).
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
kmsim="$top_builddir/kmsim"
tmp=$(mktemp -d /tmp/kmsim-pct.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0
n=0

ok() { n=$((n + 1)); echo "ok $n: $*"; }
fail() { n=$((n + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }

"$kmsim" run "$top_srcdir/scenarios/mm1-seed000.yaml" \
    --set topology.subscribers=1 -q --out "$tmp/mm1" 2>"$tmp/err" ||
    { echo "FAIL: kmsim run: $(cat "$tmp/err")"; exit 1; }

# summary VALUE METRIC ENTITY COLUMN: a column of summary.csv's row
summary() {
    awk -F, -v m="$1" -v e="$2" -v c="$3" '
        { sub(/\r$/, "") }
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        $col["metric"] == m && $col["entity"] == e { print $col[c]; exit }
    ' "$tmp/mm1/summary.csv"
}
lam=$(summary queue.arrival_rate.theory so:all mean)
mu=$(summary queue.service_rate.theory so:all mean)
[ -n "$lam" ] && [ -n "$mu" ] || { echo "FAIL: no queue theory rows"; exit 1; }

# The same samples: delay.so's mean is queue.W's.
w=$(summary queue.W so:all mean)
d=$(summary delay.so.mean "" mean)
if [ -n "$d" ] && [ "$w" = "$d" ]; then
    ok "delay.so (with a subscriber) has queue.W's samples: mean $d s"
else
    fail "delay.so.mean $d is not queue.W $w"
fi

# check P: the pooled quantile of histograms.csv against the formula
check() {
    awk -F, -v p="$1" -v lam="$lam" -v mu="$mu" -v wrong="${2:-0}" '
        { sub(/\r$/, "") }
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        $col["metric"] == "delay.so" && $col["entity"] == "" {
            k++; lo[k] = $col["bucket_lo"]; hi[k] = $col["bucket_hi"]
            c[k] = $col["count"]; tot += c[k]
        }
        END {
            if (tot < 10000) { print "too few samples: " tot; exit 1 }
            r = p * tot
            for (i = 1; i <= k; i++) {
                if (cum + c[i] >= r) {
                    if (lo[i] ~ /inf/ || hi[i] ~ /inf/) { print "in an outer bucket"; exit 1 }
                    q = lo[i] + (r - cum) / c[i] * (hi[i] - lo[i]); break
                }
                cum += c[i]
            }
            rate = wrong ? mu : mu - lam
            th = -log(1 - p) / rate
            se = sqrt(p * (1 - p) / tot) / ((mu - lam) * (1 - p))
            tol = 3 * se + 0.01 * th
            d = q - th; if (d < 0) d = -d
            printf "p%g: measured %.4f s (n %d), formula %.4f s, |diff| %.4f s, tolerance %.4f s\n", p * 100, q, tot, th, d, tol
            exit d <= tol ? 0 : 2
        }' "$tmp/mm1/histograms.csv"
}
for p in 0.5 0.95 0.99; do
    if r=$(check $p); then ok "M/M/1 sojourn $r"; else fail "M/M/1 sojourn $r"; fi
done
if r=$(check 0.95 wrong); then
    fail "the check cannot fail: Exp(mu) passes too: $r"
else
    ok "the check rejects a wrong model (Exp(mu)): $r"
fi

# The replications' p95 (summary.csv): the formula inside the CI +- 1%.
lo=$(summary delay.so.p95 "" ci95_lo)
hi=$(summary delay.so.p95 "" ci95_hi)
mean=$(summary delay.so.p95 "" mean)
if awk -v lo="$lo" -v hi="$hi" -v lam="$lam" -v mu="$mu" 'BEGIN {
        th = log(20) / (mu - lam); exit !(lo * 0.99 <= th && th <= hi * 1.01) }'; then
    ok "delay.so.p95 over the replications: mean $mean s, CI [$lo, $hi] holds ln(20)/(mu - lambda)"
else
    fail "delay.so.p95: CI [$lo, $hi] misses ln(20)/(mu - lambda)"
fi

echo "$n checks, $fails failed"
[ "$fails" -eq 0 ]
