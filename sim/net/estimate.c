/* estimate.c — a scenario's cost before it runs (kmsim extension, issue
 * 20): a sum over its periodic activities, each from the parsed values,
 * and a memory model calibrated on real runs.  Every figure here is an
 * estimate: it decides whether a scenario is refused or warned about, and
 * never changes a result. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "estimate.h"
#include "hooks.h"
#include "guard.h"

/* ---- Calibration ---------------------------------------------------------
 * Measured with /usr/bin/time -v (maximum resident size) on this
 * project's scenarios at two sizes each (50,000 and 200,000 sources),
 * `kmsim validate` (the world built, protocol set up), the slope between
 * the two sizes:
 *   tree.yaml (1 link per node)            462 B per node
 *   grid.yaml (2 links per node)           514 B per node
 *     => EST_NODE_BYTES 410 B per node, EST_LINK_BYTES 52 B per link
 *        (checked on random_geometric, scale-dini-1e5 --protocol none:
 *        predicted 186 MB, measured 194 MB for +150,000 nodes, +2.39 M
 *        links);
 *   protocols, beyond `none` on the same topology: netkey 145, pairwise
 *   44, Dini 329 (+113 B per pool key per SO: dini-adjacent, pool 65,536
 *   vs 524,288), Di Pietro 249 (issue 22), E–G 867 B per node (hooks.h
 *   estimate).
 * A packet waiting in a queue: 100 B (default.yaml, traffic.interval
 * exp(1ms), --until 20s: 792,000 packets waiting in link queues, 74 MB
 * over the idle size).  Events per data message: 6 (default.yaml: 7,338
 * events for 1,203 messages, registration included).  Process baseline
 * (code, libraries, buffers): 3 MiB (validate of a 10-node scenario:
 * 3.6 MB resident). */
/* Issue 22: what a run adds to the world as built, measured as the peak
 * resident size (/usr/bin/time %M) of whole runs of the scale scenarios at
 * 10^4 (--set topology.sources=10000, smart_objects=200, area
 * [1000m, 1000m]) and 10^5 sources, once as written and once with
 * --set smart_object.rekey_spread=4min (no burst), minus this model's
 * world-as-built figure (validate):
 *   Dini       steady 41.6 / 352.9 MB -> +2,300 B per node (the
 *              channels, connection tables, key versions); burst +603 /
 *              +669 B per re-keyed source -> 650 (scale-dini-1e6, 3.92 GB
 *              peak as measured: estimated 4.17 GB)
 *   Di Pietro  steady 20.2 / 163.1 MB -> +620 B per node; burst +475 /
 *              +539 B per source -> 520
 *   E-G        160.7 / 1,519 MB (no re-key rounds) -> +2,100 B per
 *              radio link (link keys, path keys, HELLO state)
 * (protocols' estimate hooks; netkey and pairwise were not measured at
 * scale: their burst is taken as Di Pietro's, one command, its copy and
 * an ack per member).  Every point above is within 10% (test_run.c,
 * test_estimate_calibration). */
#define EST_ROUND_S      1.0    /* a round, first change message to last */
                                /*   ack (measured <= 0.62 s at 10^5)    */
#define EST_BASE_BYTES   (3.0 * 1024 * 1024)
#define EST_NODE_BYTES   410.0
#define EST_LINK_BYTES   52.0
#define EST_QUEUED_BYTES 100.0
#define EST_WIRE_OVERHEAD 80.0  /* header, nonce, tag: bytes per packet  */
#define EST_CTRL_BYTES   120.0  /* a control message on the wire         */
#define EST_HOPS         4.0    /* hops to an SO when the topology does  */
                                /*   not say (explicit graphs)           */
/* Events per message beyond one per hop (generation, SO service,
 * publication): 4.  Measured on netkey-tree.yaml, --protocol none, 200
 * sources: fanout 1 (mean depth 100.5) 110 events per data message,
 * fanout 2 (mean depth 6.5) 10.1; default.yaml 6.1 at about 2 hops. */
#define EST_MSG_BASE     4.0

/* What the topology will hold, from the parsed values. */
typedef struct est_topo {
    double src, so, sub, nodes, links;
    double so_degree;         /* links at an SO towards its sources      */
    double hops;              /* mean hops from a source to its SO       */
    double so_hops;           /* mean hops between two SOs (backbone)    */
    double cap_pkts;          /* packets of wire bytes `w` a radio link  */
    double bw;                /*   carries per second: bw / (8 w)        */
    int bounded_links;        /* link queues are finite (link.queue > 0) */
} est_topo;

/* Mean depth of m nodes placed breadth-first under a root with fanout f
 * (the tree generator's order): level d holds f^d nodes. */
static double tree_depth(double m, double f)
{
    double left = m, width = f, sum = 0, level = 1;

    if (!(m > 0))
        return 1;
    if (f <= 1)
        return (m + 1) / 2;
    while (left > 0) {
        double take = left < width ? left : width;
        sum += take * level++;
        left -= take;
        width *= f;
    }
    return sum / m;
}

/* Mean hops from a source to its SO and between two SOs, from the
 * generator's parameters (an estimate; explicit graphs: EST_HOPS). */
static void hops_of(const scn_topology *g, est_topo *t)
{
    double k = t->so > 0 ? t->so : 1, m = t->src / k;

    switch (g->kind) {
    case SCN_TOPO_STAR:
        t->hops = 1;
        break;
    case SCN_TOPO_TREE:
        t->hops = tree_depth(ceil(m), g->fanout ? g->fanout : 1);
        break;
    case SCN_TOPO_GRID:       /* an SO at the edge of its ~square share */
        t->hops = 1 + 0.75 * sqrt(m);
        break;
    case SCN_TOPO_RANDOM_GEOMETRIC: {
        /* mean distance to the centre of a disc of the SO's share of the
         * area, over about 0.7 range per hop */
        double a = g->area[0] * g->area[1] / k;
        t->hops = g->range > 0 ? 1 + (2.0 / 3) * sqrt(a / M_PI) /
                                         (0.7 * g->range)
                               : EST_HOPS;
        break;
    }
    default:
        t->hops = EST_HOPS;
        break;
    }
    /* no shortest path is longer than the nodes it could visit (a huge
     * area: a disconnected topology, refused when it is built) */
    if (!(t->hops <= ceil(m) + 1))
        t->hops = ceil(m) + 1;
    if (t->so < 2)
        t->so_hops = 0;
    else if (g->kind == SCN_TOPO_EXPLICIT)
        t->so_hops = EST_HOPS;
    else if (g->backbone_shape == SCN_BACKBONE_TREE)
        t->so_hops = fmax(1, 2 * (log2(t->so) - 2));
    else
        t->so_hops = t->so <= 3 ? 1 : t->so / 4;
}

static void topo_of(const scenario *sc, est_topo *t)
{
    const scn_topology *g = &sc->topo;
    double ring;

    memset(t, 0, sizeof *t);
    if (g->kind == SCN_TOPO_EXPLICIT) {
        for (size_t i = 0; i < g->n_nodes; i++) {
            if (g->nodes[i].role == SCN_ROLE_SO)
                t->so++;
            else if (g->nodes[i].role == SCN_ROLE_SOURCE)
                t->src++;
            else
                t->sub++;
        }
        t->links = (double)g->n_links;
    } else {
        t->src = g->sources;
        t->so = g->smart_objects;
        t->sub = g->subscribers;
    }
    t->nodes = t->src + t->so + t->sub;
    ring = t->so < 2 ? 0 : t->so == 2 ? 1 : t->so;
    switch (g->kind) {
    case SCN_TOPO_STAR:
    case SCN_TOPO_TREE:
        t->links = t->src + ring + t->sub;
        break;
    case SCN_TOPO_GRID:
        t->links = 2 * t->src + t->so + ring + t->sub;
        break;
    case SCN_TOPO_RANDOM_GEOMETRIC: {
        double n = t->src + t->so, r = g->range;
        double e = n * n * M_PI * r * r / (2 * g->area[0] * g->area[1]);
        double pairs = n * (n - 1) / 2;
        t->links = (e < pairs ? e : pairs) + ring + t->sub;
        break;
    }
    default:
        break;
    }
    /* The links an SO's sources reach it over. */
    t->so_degree = g->kind == SCN_TOPO_STAR ? t->src / (t->so > 0 ? t->so : 1)
                   : g->kind == SCN_TOPO_TREE ? (g->fanout ? g->fanout : 1)
                   : t->nodes > 0 ? 2 * t->links / t->nodes : 1;
    if (t->so_degree < 1)
        t->so_degree = 1;
    t->bw = g->link.bandwidth;
    t->bounded_links = g->link.queue > 0;
    hops_of(g, t);
}

/* Packets per second beyond what the links carry when every one of n
 * sources sends `rate` packets of `bytes` per second towards its SO:
 * at its own first link, and at the SO's links that all of them share. */
static double excess(const est_topo *t, double rate, double n, double bytes)
{
    double cap, x_src, x_so, per_link;

    if (t->bounded_links || !(t->bw > 0) || !(rate > 0) || !(n > 0))
        return 0;
    cap = t->bw / (8 * bytes);
    x_src = rate > cap ? (rate - cap) * n : 0;
    per_link = rate * n / ((t->so > 0 ? t->so : 1) * t->so_degree);
    x_so = per_link > cap ? (per_link - cap) * (t->so > 0 ? t->so : 1) *
                                t->so_degree
                          : 0;
    return x_src > x_so ? x_src : x_so;
}

void sim_est_add(sim_estimate *e, const char *what, const scn_mark *mark,
                 double per_node, double nodes, double events,
                 double grow_bytes)
{
    sim_est_item *it;

    if (!(per_node > 0) || !(nodes > 0) || e->n >= SIM_EST_MAX_ITEMS)
        return;
    it = &e->item[e->n++];
    it->what = what;
    it->mark = *mark;
    it->per_node = per_node;
    it->nodes = nodes;
    it->events = events;
    it->grow_bytes = grow_bytes;
}

/* Memory attributed to an option: the largest share names it. */
void sim_est_state(sim_estimate *e, const char *what, const scn_mark *mark,
                   double bytes)
{
    e->base_memory += bytes;
    e->memory += bytes;
    if (bytes > e->mem_top) {
        e->mem_top = bytes;
        e->mem_what = what;
        e->mem_mark = *mark;
    }
}

void sim_est_periodic(const scenario *sc, sim_estimate *e, const char *what,
                      const scn_mark *mark, sim_time period, double nodes)
{
    est_topo t;
    double per;

    if (period <= 0 || !(nodes > 0))
        return;
    topo_of(sc, &t);
    per = 1.0 / sim_time_to_s(period);
    sim_est_add(e, what, mark, per, nodes, 2 * t.hops + EST_MSG_BASE,
                excess(&t, 2 * per, nodes, EST_CTRL_BYTES) *
                    EST_QUEUED_BYTES);
}

void sim_est_central(const scenario *sc, sim_estimate *e, const char *what,
                     const scn_mark *mark, sim_time period)
{
    est_topo t;

    if (period <= 0)
        return;
    topo_of(sc, &t);
    if (t.so < 2)
        return;
    /* every node but the authority's own SO's is reached over the
     * backbone: (K-1)/K of them, 6 events per node and backbone hop in a
     * round (measured: netkey-tree.yaml, ring, 1,024 SOs 7.26 M events,
     * 4,096 SOs 148 M, i.e. 5.5 and 7.0 per node, SO hop and round) */
    sim_est_add(e, what, mark, 1.0 / sim_time_to_s(period),
                t.nodes * (t.so - 1) / t.so, 6 * t.so_hops, 0);
}

void sim_est_burst(const scenario *sc, sim_estimate *e, const char *what,
                   const scn_mark *mark, sim_time every, const sim_time *at,
                   size_t n_at, double bytes, double members)
{
    sim_time first = every > 0 ? every : SIM_TIME_MAX;
    double src, so, nodes, frac = 1;

    for (size_t i = 0; i < n_at; i++)
        if (at[i] < first)
            first = at[i];
    if (!(bytes > 0) || !(members > 0) || first == SIM_TIME_MAX ||
        !(sim_time_to_s(first) < e->run_s))
        return;
    sim_est_counts(sc, &src, &so, &nodes);
    if (sc->so.rekey_spread > 0) {
        /* the SOs' rounds start spread/K apart, each lasting about
         * EST_ROUND_S: that many of them overlap, one at least */
        double f = EST_ROUND_S / sim_time_to_s(sc->so.rekey_spread) +
                   1.0 / (so > 0 ? so : 1);
        frac = f < 1 ? f : 1;
    }
    sim_est_state(e, what, mark, bytes * members * frac);
}

void sim_est_counts(const scenario *sc, double *src, double *so,
                    double *nodes)
{
    est_topo t;

    topo_of(sc, &t);
    *src = t.src;
    *so = t.so;
    *nodes = t.nodes;
}

void sim_est_compute(const scenario *sc, sim_time until, sim_estimate *e)
{
    const scn_traffic *tr = &sc->traffic;
    est_topo t;
    double run, rate, wire, grow, regd;

    memset(e, 0, sizeof *e);
    topo_of(sc, &t);
    run = sim_time_to_s(until ? until : sc->duration);
    e->run_s = run;
    e->links = t.links;

    /* The world: nodes and links (topology.sources, or the explicit
     * nodes), the protocol's share per node and its pools (its hook). */
    e->memory = e->base_memory = EST_BASE_BYTES;   /* no option's */
    e->mem_what = sc->topo.kind == SCN_TOPO_EXPLICIT ? "topology.nodes"
                                                     : "topology.sources";
    e->mem_mark = sc->mk_nodes;
    sim_est_state(e, sc->topo.kind == SCN_TOPO_EXPLICIT ? "topology.nodes"
                                                        : "topology.sources",
                  &sc->mk_nodes,
                  EST_NODE_BYTES * t.nodes + EST_LINK_BYTES * t.links);
    if (sc->proto->estimate)
        sc->proto->estimate(sc, e);

    /* Data: every registered source, one message per interval. */
    regd = t.src > tr->anonymous ? t.src - tr->anonymous : 0;
    rate = 1.0 / sim_dist_mean(&tr->interval);
    wire = sim_dist_mean(&tr->size) + EST_WIRE_OVERHEAD;
    grow = excess(&t, rate, t.src, wire);
    if (sc->so.queue_capacity == 0) {
        /* What reaches the SOs beyond what they serve waits there. */
        double mu = 1.0 / sim_dist_mean(&sc->so.service);
        double arr = rate * t.src - grow;
        double so_x = arr - mu * (t.so > 0 ? t.so : 1);
        if (so_x > 0)
            grow += so_x;
    }
    sim_est_add(e, "traffic.interval", &sc->mk_interval, rate, t.src,
                t.hops + EST_MSG_BASE, grow * EST_QUEUED_BYTES);

    /* Registration retries: while unanswered (a round trip), or the whole
     * run once they alone fill the links (answers then queue behind
     * them). */
    if (tr->register_retry > 0 && regd > 0) {
        double per = 1.0 / sim_time_to_s(tr->register_retry);
        double rtt = 2 * t.hops *
                     (sim_time_to_s(sc->topo.link.latency) +
                      (t.bw > 0 ? 8 * EST_CTRL_BYTES / t.bw : 0));
        double x = excess(&t, per, regd, EST_CTRL_BYTES);
        double duty = x > 0 ? 1.0 : (rtt < run ? rtt / run : 1.0);
        sim_est_add(e, "traffic.register_retry", &sc->mk_register_retry,
                    per, regd, 2 * t.hops * duty, x * EST_QUEUED_BYTES);
    }

    /* Attackers that send at a rate. */
    for (size_t i = 0; i < sc->n_attackers; i++) {
        const scn_attacker *a = &sc->attackers[i];
        if (a->kind == SCN_ATK_FLOODING && a->rate > 0) {
            double mu = 1.0 / sim_dist_mean(&sc->so.service);
            double x = a->rate - mu * (t.so > 0 ? t.so : 1);
            sim_est_add(e, "a flooding attacker's rate", &a->entry, a->rate, 1,
                        t.hops + EST_MSG_BASE,
                        sc->so.queue_capacity == 0 && x > 0
                            ? x * EST_QUEUED_BYTES : 0);
        } else if (a->kind == SCN_ATK_REPLAY && a->rate > 0 && run > 0) {
            /* bounded by count: spread over the run */
            double n = a->count / run;
            sim_est_add(e, "a replay attacker's count", &a->entry,
                        n < a->rate ? n : a->rate, 1, 2 * t.hops, 0);
        }
    }

    for (size_t i = 0; i < e->n; i++) {
        sim_est_item *it = &e->item[i];
        e->events_per_s += it->per_node * it->nodes * it->events;
        e->memory += it->grow_bytes * run;
        if (it->grow_bytes * run > e->mem_top) {
            e->mem_top = it->grow_bytes * run;
            e->mem_what = it->what;
            e->mem_mark = it->mark;
        }
    }
    e->events = e->events_per_s * run;
}

/* "file:line:column: " or "--set path=value: " for mark m. */
static void where(const scenario *sc, const scn_mark *m, char *buf,
                  size_t len, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void where(const scenario *sc, const scn_mark *m, char *buf,
                  size_t len, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    scn_error_at(sc, m, buf, len, "%s", msg);
}

int sim_est_check(const scenario *sc, const sim_estimate *e, uint64_t budget,
                  uint64_t max_events, FILE *warn, char *err, size_t errlen)
{
    const sim_est_item *top = NULL;
    char a[32], b[32], line[1024];

    for (size_t i = 0; i < e->n; i++) {
        const sim_est_item *it = &e->item[i];
        if (it->per_node > SIM_EST_MAX_PER_NODE) {
            where(sc, &it->mark, err, errlen, "%s: %.3g times per simulated "
                  "second per node (estimate) is faster than kmsim runs "
                  "(at most %.0e, once per microsecond)", it->what,
                  it->per_node, SIM_EST_MAX_PER_NODE);
            return -1;
        }
        if (!top || it->per_node * it->nodes * it->events >
                        top->per_node * top->nodes * top->events)
            top = it;
    }
    /* More links than a topology may have: building it says so at once,
     * more precisely than a memory estimate would. */
    if (budget && e->memory > (double)budget && e->links <= SCN_MAX_LINKS) {
        char w[32], g[32];
        sim_guard_fmt_bytes(a, sizeof a, e->memory);
        sim_guard_fmt_bytes(b, sizeof b, (double)budget);
        sim_guard_fmt_bytes(w, sizeof w, e->base_memory);
        sim_guard_fmt_bytes(g, sizeof g, e->memory - e->base_memory);
        /* a --set of the node count, if any, is the cause */
        where(sc, scn_mark_cause(&e->mem_mark, &sc->nodes_mark), err, errlen,
              "expected peak memory %s "
              "(estimate: %s for the world, %s of growing queues; mostly "
              "from %s) is over the budget of %s (--max-memory; default "
              "%d%% of the machine's memory or of ulimit -v)", a, w, g,
              e->mem_what ? e->mem_what : "the topology", b,
              SIM_GUARD_DEFAULT_PERCENT);
        return -1;
    }
    if (top && e->events > SIM_EST_MAX_EVENTS && !max_events) {
        where(sc, scn_mark_cause(&top->mark, &sc->nodes_mark), err, errlen,
              "%.3g events per replication "
              "(estimate: %.3g per simulated second, mostly from %s) would "
              "run for days; bound it with --max-events N or change %s",
              e->events, e->events_per_s, top->what, top->what);
        return -1;
    }
    if (!warn || e->links > SCN_MAX_LINKS)   /* building it will refuse */
        return 0;
    if (top && e->events > SIM_EST_WARN_EVENTS) {
        /* ~1e6 events per second of wall time (scale-dini-1e5: 0.6-1.2 M) */
        double h = e->events / 1e6 / 3600;
        where(sc, &top->mark, line, sizeof line, "warning: %.3g events per "
              "replication (estimate: %.3g per simulated second, mostly "
              "from %s): a long run, roughly %.2g hours per replication at "
              "a million events per second (--max-events N bounds it)",
              e->events, e->events_per_s, top->what, h);
        fprintf(warn, "%s\n", line);
    }
    for (size_t i = 0; i < e->n; i++) {
        const sim_est_item *it = &e->item[i];
        double g = it->grow_bytes * e->run_s;
        if (g < 64.0 * 1024 * 1024)
            continue;
        sim_guard_fmt_bytes(a, sizeof a, it->grow_bytes);
        sim_guard_fmt_bytes(b, sizeof b, g);
        where(sc, &it->mark, line, sizeof line, "warning: %s offers more "
              "than the links or smart objects carry: queues grow by about "
              "%s per simulated second, %s by the end (estimate)",
              it->what, a, b);
        fprintf(warn, "%s\n", line);
    }
    return 0;
}

void sim_est_format(const sim_estimate *e, char *buf, size_t len)
{
    char m[32];

    sim_guard_fmt_bytes(m, sizeof m, e->memory);
    snprintf(buf, len, "estimate: %.3g events per simulated second, %.3g "
             "events per replication, peak memory %s", e->events_per_s,
             e->events, m);
}
