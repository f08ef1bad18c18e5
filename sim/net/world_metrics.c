/* world_metrics.c — what the world measures: the schedulers' per-event
 * observer (the fingerprint of the executed events, each event node's key
 * storage sampled into its time average) and look-ahead, the meaning and
 * registration of the world's metrics, --series, and the end-of-run
 * report (SO queues against their M/M/1 or M/G/1 model, storage per role,
 * the delay denominators).  The seam: reading the run, never steering it.
 * Private header: world_int.h. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "world_int.h"
#include "qtheory.h"
#include "util.h"

/* ------------------------------------------------------------------------
 * Key storage over time
 * ---------------------------------------------------------------------- */

/* The protocol's storage hook for v (a metric: the world reads v's
 * holdings, whichever event runs). */
static double stor_read(sim_world *w, uint32_t v)
{
    double lv;

    sim_world_exempt(w, "storage accounting (metric)");
    lv = (double)w->proto->storage(w, w->proto_state, v);
    sim_world_exempt_end(w);
    return lv;
}

/* Node v's storage level is what the protocol's hook says at time t.
 * Under storage marks an unmarked node still holds the level of its last
 * sample: that level is set again (the time average sees the same steps
 * at the same times as when the hook is read), without reading the
 * protocol's per-node record (a cache miss per event at 10^5 nodes). */
/* The storage marks of node v (its partition's; NULL: none). */
static uint64_t *stor_bits(sim_world *w, uint32_t v)
{
    return w->parts[w->two ? w->node_part[v] : 0].stor_dirty;
}

/* --series: node v's storage sampled at t as lv (changed: differs from
 * its last level): the network's key bytes and keys held move by v's
 * change, at the time of v's event.  Keys are read again only when the
 * level changed (the keys hook walks the tables the storage hook walks). */
static void stor_series(sim_world *w, uint32_t v, sim_time t, double lv,
                        int changed)
{
    ana_metrics *m = sim_world_metrics(w);
    uint32_t keys;

    if (!changed)
        return;
    ana_series_add_at(m, w->ser_bytes_all, lv - w->stor[v].twa.value, t);
    if (!w->ser_keys)
        return;
    sim_world_exempt(w, "storage accounting (series)");
    keys = (uint32_t)w->proto->keys(w, w->proto_state, v);
    sim_world_exempt_end(w);
    ana_series_add_at(m, w->ser_keys_all,
                      (double)keys - (double)w->ser_keys[v], t);
    w->ser_keys[v] = keys;
}

static void stor_sample(sim_world *w, uint32_t v, sim_time t)
{
    uint64_t *dirty = stor_bits(w, v);
    double lv;

    if (!dirty) {
        lv = stor_read(w, v);
    } else if (dirty[v >> 6] & (uint64_t)1 << (v & 63)) {
        dirty[v >> 6] &= ~((uint64_t)1 << (v & 63));
        lv = stor_read(w, v);
    } else {
        lv = w->stor[v].twa.value;
#ifdef KMSIM_LOCALITY
        /* The test build proves the marks complete. */
        if (stor_read(w, v) != lv) {
            fprintf(stderr, "kmsim: %s: storage of node %u changed "
                    "without sim_world_storage_changed\n",
                    w->proto->name, v);
            abort();
        }
#endif
    }
    if (w->ser)
        stor_series(w, v, t, lv, lv != w->stor[v].twa.value);
    ana_twa_set(&w->stor[v].twa, t, lv);
    if (after_warmup(w, t) && lv > w->stor[v].peak)
        w->stor[v].peak = lv;
}

/* Samples the node of the last event at that event's time: what its
 * handler changed, it changed then. */
void world_stor_flush_part(sim_world *w, world_part *pt)
{
    if (w->stor && pt->stor_node != SIM_NONE)
        stor_sample(w, pt->stor_node, pt->stor_t);
    pt->stor_node = SIM_NONE;
}

static void stor_flush(sim_world *w)
{
    world_stor_flush_part(w, WP(w));
}

void sim_world_storage_changed(sim_world *w, uint32_t v)
{
    uint64_t *dirty;

    if (v < w->topo.n_nodes && (dirty = stor_bits(w, v)) != NULL)
        dirty[v >> 6] |= (uint64_t)1 << (v & 63);
}

int sim_world_storage_stats(sim_world *w, uint32_t v, sim_storage_stats *out)
{
    sim_time now = world_now(w);

    if (!w->stor || v >= w->topo.n_nodes)
        return -1;
    stor_flush(w);
    stor_sample(w, v, now);
    out->end = w->stor[v].twa.value;
    out->time_avg = ana_twa_mean(&w->stor[v].twa, now);
    out->peak = w->stor[v].peak > out->end ? w->stor[v].peak : out->end;
    return 0;
}

/* ------------------------------------------------------------------------
 * Fingerprint
 * ---------------------------------------------------------------------- */

/* Split run: logs the event running now in its node's partition's log
 * (an event for no node, or an attacker's: partition 0). */
static void fp_log_add(sim_world *w, sim_time t, uint32_t kind,
                       uint32_t node)
{
    /* Two schedulers: the running partition's (its metric log and
     * outbox offsets go with it); else the node's. */
    fp_log *l = &w->fplog[WP(w)->cur][w->two ? world_tl
                          : node < w->topo.n_nodes ? w->node_part[node] : 0];
    fp_ent *e;

    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 1024;
        l->e = xreallocarray(l->e, l->cap, sizeof *l->e);
    }
    e = &l->e[l->n++];
    w->fp_logged[(l - w->fplog[0]) & 1]++;
    sim_sched_key_now(WP(w)->sched, &e->k);
    assert(e->k.t == t);
    e->kind = kind;
    e->node = node;
    e->mlo = (uint32_t)ana_metrics_log_len(WP(w)->m);
    e->xlo = WP(w)->n_out[WP(w)->cur];
}

/* The barrier's merge (THREADS.md step 4.4): hashes the two partitions'
 * logs into the fingerprint in key order (each log is sorted: a linear
 * merge), which is the order one scheduler runs them in, and empties
 * them.  Returns how many events it hashed. */
uint64_t world_fp_merge(sim_world *w)
{
    fp_log *a = &w->fplog[0][0], *b = &w->fplog[0][1];
    uint32_t i = 0, j = 0;

    while (i < a->n || j < b->n) {
        const fp_ent *e;

        if (j == b->n ||
            (i < a->n && sim_event_key_cmp(&a->e[i].k, &b->e[j].k) < 0))
            e = &a->e[i++];
        else
            e = &b->e[j++];
        world_fp_put(w, e->k.t, e->kind, e->node);
    }
    a->n = b->n = 0;
    return (uint64_t)i + j;
}

void world_fp_observe(void *octx, sim_time t, uint32_t kind, uint32_t node)
{
    sim_world *w = octx;

    if (w->stor) {
        stor_flush(w);
        WP(w)->stor_node = node < w->topo.n_nodes ? node : SIM_NONE;
        WP(w)->stor_t = t;
        if (WP(w)->stor_node != SIM_NONE)    /* sampled when the next starts */
            __builtin_prefetch(&w->stor[node], 1);
    }

    if (w->node_part)
        fp_log_add(w, t, kind, node);    /* hashed at the barrier */
    else
        world_fp_put(w, t, kind, node);
#ifdef KMSIM_LOCALITY
    /* The event about to run is this node's: the world's and the
     * protocols' events name the node they run at; an attacker's events
     * (kinds SIM_EV_ATTACK ..) are the attacker's whatever node they
     * carry; the world's own bookkeeping (SIM_NONE) is nobody's. */
    w->actor = (kind >= SIM_EV_ATTACK && kind < SIM_EV_PROTO)
                   ? SIM_ACTOR_ATTACKER : node;
#endif
}

/* The scheduler's look-ahead (sim_sched_set_lookahead): the event most
 * likely to run next is at `node`; fetch the world's records it will read
 * first while the current one runs.  At 10^5 nodes and more each is a
 * cache miss (a node's records are touched about once a simulated
 * second): its per-node records (protocol state, storage sample,
 * runtime), a packet's header at an arrival with the forwarding records
 * of a relay, a source's traffic stream.  Hints only: nothing changes. */
void world_lookahead(void *ctx, uint32_t kind, uint32_t node,
                            void *arg)
{
    sim_world *w = ctx;

    if (node >= w->topo.n_nodes)
        return;
    if (w->node_state)
        __builtin_prefetch(w->node_state +
                           (size_t)node * w->proto->node_state_size, 1);
    if (w->stor)
        __builtin_prefetch(&w->stor[node], 1);
    switch (kind) {
    case SIM_EV_ARRIVE:
        __builtin_prefetch(arg, 1);                  /* header, 56 bytes */
        __builtin_prefetch((const char *)arg + 64, 1);   /* wire header */
        __builtin_prefetch(&w->fwd[node]);
        __builtin_prefetch(&w->fdir[2 * (size_t)node + FD_UP], 1);
        break;
    case SIM_EV_TRAFFIC:
        __builtin_prefetch(&w->nodes[node], 1);
        sim_rng_prefetch(w->rng, SIM_RNG_TRAFFIC, node);
        break;
    default:
        __builtin_prefetch(&w->nodes[node], 1);
        break;
    }
}

/* ------------------------------------------------------------------------
 * Metrics
 * ---------------------------------------------------------------------- */

/* kmsim metrics (mlist.h): the meaning of each metric of
 * the world (network, SOs, sources, delays, storage, queues),
 * registered below, by glob over its name (first match wins; a
 * statistic ".mean", ".sd", ... of a sample metric takes its meaning). */
const ana_metric_doc sim_mdoc_world[] = {
    {"data.anonymous",
     "data sent without a source identifier (not registered) or unprotected"},
    {"data.at_so",
     "data messages that reached their SO"},
    {"data.delivered",
     "publish deliveries made to subscribers"},
    {"data.generated",
     "data messages created by the sources"},
    {"data.held_at_end",
     "data messages still held at a source (waiting for a key or channel) at the end"},
    {"data.held_drops",
     "held data messages dropped because the source's hold buffer was full"},
    {"data.payload_bytes",
     "payload bytes of the data created"},
    {"data.published",
     "publish messages sent by the SOs"},
    {"data.size_clamped",
     "data messages whose drawn size was clamped to the largest allowed"},
    {"data.stored_bytes",
     "data bytes stored at the SOs"},
    {"delay.end_to_end.delivered_fraction",
     "deliveries made / deliveries the topic filters ask for"},
    {"delay.end_to_end",
     "data created at a source to delivered to a subscriber (seed 000's T)"},
    {"delay.key_access",
     "data created to first leaving its source (seed 000's Z)"},
    {"delay.publish",
     "SO service done to delivered to the subscriber (seed 000's beta)"},
    {"delay.registration.answered_fraction",
     "registrations answered / sources that sent one"},
    {"delay.registration",
     "source sent its registration to its answer arrived"},
    {"delay.so",
     "the SO's queue and service of a data message"},
    {"delay.source_to_so.delivered_fraction",
     "data that reached their SO / data created after warm-up"},
    {"delay.source_to_so",
     "data created to served at its SO"},
    {"delay.transfer",
     "data left its source to entered the SO's queue (the network part)"},
    {"link.bytes.*",
     "bytes transmitted on links by message class (register, register_ack, data, publish, control)"},
    {"link.tx.*",
     "packets transmitted on links (one per hop) by message class"},
    {"link.lost",
     "packets lost on links"},
    {"link.queue_drops",
     "packets dropped by full link transmit queues"},
    {"msgs.*",
     "messages sent end to end by class (register, register_ack, data, publish, control)"},
    {"net.rejected",
     "messages refused by their receiver"},
    {"net.unroutable",
     "messages with no route to their destination"},
    {"queue.arrival_rate.theory",
     "offered arrival rate at the SO (every source homed there, thinned by link losses)"},
    {"queue.service_rate.theory",
     "service rate of the SO's service-time distribution (1 / its mean)"},
    {"queue.*.theory_measured",
     "M/M/1 or M/G/1 value at the measured arrival rate"},
    {"queue.*.theory",
     "M/M/1 or M/G/1 value at the offered arrival rate"},
    {"queue.L",
     "mean number of requests at the SO (queue and service), after warm-up"},
    {"queue.W",
     "mean sojourn time at the SO (queue and service), after warm-up"},
    {"queue.Wq",
     "mean waiting time in the SO's queue, after warm-up"},
    {"queue.arrival_rate",
     "measured arrival rate at the SO, after warm-up"},
    {"queue.arrivals",
     "requests that arrived at the SO, after warm-up"},
    {"queue.completions",
     "requests the SO served, after warm-up"},
    {"queue.drops",
     "requests dropped by a full SO queue"},
    {"queue.service_rate",
     "measured service rate of the SO"},
    {"queue.utilisation",
     "fraction of time the SO was busy (rho), after warm-up"},
    {"run.end_time",
     "simulated time at which the replication ended"},
    {"run.events",
     "events executed"},
    {"so.queue_drops",
     "requests dropped by full SO queues, all SOs"},
    {"sources.duplicate_acks",
     "duplicate registration acks received"},
    {"sources.moves",
     "source moves to another place"},
    {"sources.register_retries",
     "registrations retried after a timeout"},
    {"sources.registered",
     "sources registered with an SO"},
    {"storage.keys_per_node",
     "keys (secret values) a node holds at the end, over all nodes"},
    {"storage.bytes_per_node",
     "key storage per node at the end in the scenario's key sizes (bytes), over all nodes"},
    {"storage.*.keys",
     "keys (secret values) a node of this role holds at the end"},
    {"storage.*.end",
     "key storage per node of this role at the end (bytes)"},
    {"storage.*.peak",
     "largest key storage a node of this role held after warm-up (bytes)"},
    {"storage.*.time_avg",
     "time-averaged key storage per node of this role after warm-up (bytes)"},
    {NULL, NULL},
};

void world_register_metrics(sim_world *w)
{
    world_ids *id = &w->id;
    char name[64];

    for (int t = SIM_PKT_REGISTER; t < SIM_PKT_TYPE_COUNT; t++) {
        const char *tn = sim_pkt_type_name(t);
        snprintf(name, sizeof name, "msgs.%s", tn);
        id->sent[t] = ana_metric_reg(WP(w)->m, name, "", "msg", ANA_COUNTER);
        snprintf(name, sizeof name, "link.tx.%s", tn);
        id->tx[t] = ana_metric_reg(WP(w)->m, name, "", "pkt", ANA_COUNTER);
        snprintf(name, sizeof name, "link.bytes.%s", tn);
        id->txb[t] = ana_metric_reg(WP(w)->m, name, "", "B", ANA_COUNTER);
    }
    id->sent[0] = id->tx[0] = id->txb[0] = -1;
    id->lost = ana_metric_reg(WP(w)->m, "link.lost", "", "pkt", ANA_COUNTER);
    id->qdrop = ana_metric_reg(WP(w)->m, "link.queue_drops", "", "pkt",
                               ANA_COUNTER);
    id->unroutable = ana_metric_reg(WP(w)->m, "net.unroutable", "", "msg",
                                    ANA_COUNTER);
    id->rejected = ana_metric_reg(WP(w)->m, "net.rejected", "", "msg",
                                  ANA_COUNTER);
    id->so_drops = ana_metric_reg(WP(w)->m, "so.queue_drops", "", "req",
                                  ANA_COUNTER);
    id->registered = ana_metric_reg(WP(w)->m, "sources.registered", "", "node",
                                    ANA_COUNTER);
    id->reg_retries = ana_metric_reg(WP(w)->m, "sources.register_retries", "",
                                     "msg", ANA_COUNTER);
    id->dup_acks = ana_metric_reg(WP(w)->m, "sources.duplicate_acks", "", "msg",
                                  ANA_COUNTER);
    id->moves = ana_metric_reg(WP(w)->m, "sources.moves", "", "move",
                               ANA_COUNTER);
    id->anon = ana_metric_reg(WP(w)->m, "data.anonymous", "", "msg",
                              ANA_COUNTER);
    id->held_drops = ana_metric_reg(WP(w)->m, "data.held_drops", "", "msg",
                                    ANA_COUNTER);
    id->size_clamped = ana_metric_reg(WP(w)->m, "data.size_clamped", "", "msg",
                                      ANA_COUNTER);
    id->data_gen = ana_metric_reg(WP(w)->m, "data.generated", "", "msg",
                                  ANA_COUNTER);
    id->data_payload = ana_metric_reg(WP(w)->m, "data.payload_bytes", "", "B",
                                      ANA_COUNTER);
    id->data_at_so = ana_metric_reg(WP(w)->m, "data.at_so", "", "msg",
                                    ANA_COUNTER);
    id->stored = ana_metric_reg(WP(w)->m, "data.stored_bytes", "", "B",
                                ANA_COUNTER);
    id->published = ana_metric_reg(WP(w)->m, "data.published", "", "msg",
                                   ANA_COUNTER);
    id->pub_deliveries = ana_metric_reg(WP(w)->m, "data.delivered", "", "msg",
                                        ANA_COUNTER);
    id->d_reg = ana_metric_reg(WP(w)->m, "delay.registration", "", "s",
                               ANA_SAMPLES);
    id->d_so = ana_metric_reg(WP(w)->m, "delay.source_to_so", "", "s",
                              ANA_SAMPLES);
    id->d_e2e = ana_metric_reg(WP(w)->m, "delay.end_to_end", "", "s",
                               ANA_SAMPLES);
    id->d_key = ana_metric_reg(WP(w)->m, "delay.key_access", "", "s",
                               ANA_SAMPLES);
    id->d_xfer = ana_metric_reg(WP(w)->m, "delay.transfer", "", "s",
                                ANA_SAMPLES);
    id->d_sod = ana_metric_reg(WP(w)->m, "delay.so", "", "s", ANA_SAMPLES);
    id->d_pub = ana_metric_reg(WP(w)->m, "delay.publish", "", "s", ANA_SAMPLES);
    id->f_reg = ana_metric_reg(WP(w)->m, "delay.registration.answered_fraction",
                               "", "1", ANA_VALUE);
    id->f_so = ana_metric_reg(WP(w)->m, "delay.source_to_so.delivered_fraction",
                              "", "1", ANA_VALUE);
    id->f_e2e = ana_metric_reg(WP(w)->m, "delay.end_to_end.delivered_fraction",
                               "", "1", ANA_VALUE);
}

/* ------------------------------------------------------------------------
 * End of the run
 * ---------------------------------------------------------------------- */

/* Measured and analytic queue figures of one SO (or of all pooled). */
typedef struct so_report {
    double arrivals, completions, drops;
    double arrival_rate, service_rate, utilisation, L, W, Wq;
    double lambda, mu, rho, L_th, W_th, Wq_th;  /* theory, NaN if none */
    double rho_m, L_m, W_m, Wq_m;   /* theory at the measured arrival rate */
} so_report;

static void report_emit(sim_world *w, const char *ent, const so_report *r)
{
    ana_metrics *m = w->m;
#define SET(name, unit, v)                                                   \
    ana_metric_set(m, ana_metric_reg(m, name, ent, unit, ANA_VALUE), (v))
    SET("queue.arrivals", "req", r->arrivals);
    SET("queue.completions", "req", r->completions);
    SET("queue.drops", "req", r->drops);
    SET("queue.arrival_rate", "1/s", r->arrival_rate);
    SET("queue.service_rate", "1/s", r->service_rate);
    SET("queue.utilisation", "1", r->utilisation);
    SET("queue.L", "req", r->L);
    SET("queue.W", "s", r->W);
    SET("queue.Wq", "s", r->Wq);
    SET("queue.arrival_rate.theory", "1/s", r->lambda);
    SET("queue.service_rate.theory", "1/s", r->mu);
    SET("queue.utilisation.theory", "1", r->rho);
    SET("queue.L.theory", "req", r->L_th);
    SET("queue.W.theory", "s", r->W_th);
    SET("queue.Wq.theory", "s", r->Wq_th);
    /* The same model at the measured arrival rate (queue.arrival_rate):
     * what the queue does with the load that actually came (a protocol
     * that drops or holds data offers less than the sources create). */
    SET("queue.utilisation.theory_measured", "1", r->rho_m);
    SET("queue.L.theory_measured", "req", r->L_m);
    SET("queue.W.theory_measured", "s", r->W_m);
    SET("queue.Wq.theory_measured", "s", r->Wq_m);
#undef SET
}

/* Analytic queue at offered rate lam: M/M/1 when service is exponential,
 * M/G/1 (Pollaczek–Khinchine) otherwise; NaN for a finite queue, a
 * non-Poisson arrival process or an unstable queue.  Returns 0 if valid. */
static int so_analytic(const scenario *sc, double lam, ana_queue *q)
{
    double es = sim_dist_mean(&sc->so.service);
    int rc;

    if (isnan(lam) || sc->so.queue_capacity) {
        rc = -1;
    } else if (lam == 0) {
        /* No offered load (no source homed here): an empty queue. */
        q->rho = q->L = q->Lq = q->Wq = 0;
        q->W = es;
        rc = 0;
    } else if (sim_dist_is_exp(&sc->so.service))
        rc = ana_mm1(lam, 1.0 / es, q);
    else
        rc = ana_mg1(lam, es, sim_dist_m2(&sc->so.service), q);
    if (rc != 0)
        q->rho = q->L = q->Lq = q->W = q->Wq = NAN;
    return rc;
}

/* storage.<role>.time_avg / .peak / .end (bytes) and .keys (keys held)
 * for sources and SOs: samples over the nodes of the role, each the
 * node's time average over [warm-up, end], the largest level it held
 * then, its level at the end and the number of keys it holds at the end
 * (the protocol's keys hook). */
static void storage_report(sim_world *w)
{
    static const char *const role[] = {"source", "so"};
    char name[64];

    for (int r = SCN_ROLE_SOURCE; r <= SCN_ROLE_SO; r++) {
        snprintf(name, sizeof name, "storage.%s.time_avg", role[r]);
        w->id.st_avg[r] = ana_metric_reg(w->m, name, "", "B", ANA_SAMPLES);
        snprintf(name, sizeof name, "storage.%s.peak", role[r]);
        w->id.st_peak[r] = ana_metric_reg(w->m, name, "", "B", ANA_SAMPLES);
        snprintf(name, sizeof name, "storage.%s.end", role[r]);
        w->id.st_end[r] = ana_metric_reg(w->m, name, "", "B", ANA_SAMPLES);
        snprintf(name, sizeof name, "storage.%s.keys", role[r]);
        w->id.st_keys[r] = ana_metric_reg(w->m, name, "", "key",
                                          ANA_SAMPLES);
    }
    for (uint32_t v = 0; v < w->topo.n_nodes; v++) {
        int r = w->topo.nodes[v].role;
        sim_storage_stats st;
        if (r > SCN_ROLE_SO || sim_world_storage_stats(w, v, &st) != 0)
            continue;
        if (!isnan(st.time_avg))
            ana_metric_add(w->m, w->id.st_avg[r], st.time_avg);
        ana_metric_add(w->m, w->id.st_peak[r], st.peak);
        ana_metric_add(w->m, w->id.st_end[r], st.end);
        ana_metric_add(w->m, w->id.st_keys[r],
                       (double)w->proto->keys(w, w->proto_state, v));
    }
}

void sim_world_finish(sim_world *w)
{
    sim_time now;
    so_report all = {0};
    uint64_t reg_tried, gen_wu, want_wu;
    ana_welford soj, wait;
    double busy = 0, observed = 0, served = 0, served_time = 0;
    double lam_m = 0;
    uint64_t held = 0;
    int theory_ok = 1, measured_ok = 1;
    char ent[32];

    if (w->finished)
        return;
    w->finished = 1;
    world_thread_stop(w);
    if (w->two) {
        world_barrier(w);           /* what the partitions logged last */
        sim_rng_freeze(w->rng, 0);  /* one thread from here on */
    }
    now = world_now(w);
    if (w->ser) {          /* the last samples, then the last intervals */
        world_stor_flush_part(w, &w->parts[0]);
        world_stor_flush_part(w, &w->parts[1]);
        ana_series_finish(w->m, now);
    }
    reg_tried = w->parts[0].reg_tried + w->parts[1].reg_tried;
    gen_wu = w->parts[0].gen_wu + w->parts[1].gen_wu;
    want_wu = w->parts[0].want_wu + w->parts[1].want_wu;
    world_fp_merge(w);
    cry_hash_update(&WP(w)->fp, WP(w)->fp_buf, WP(w)->fp_len);
    WP(w)->fp_len = 0;
    cry_hash_final(&WP(w)->fp, WP(w)->fp_out);

    ana_welford_init(&soj);
    ana_welford_init(&wait);
    for (uint32_t i = 0; i < w->n_so; i++) {
        sim_so_stats st;
        so_report r;
        ana_queue q;

        sim_world_so_stats(w, i, &st);
        r.arrivals = (double)st.arrivals;
        r.completions = (double)st.completions;
        r.drops = (double)st.drops;
        r.arrival_rate = st.observed > 0 ? st.arrivals / st.observed : NAN;
        r.service_rate = st.served_time > 0 ? st.served / st.served_time
                                            : NAN;
        r.utilisation = st.observed > 0 ? st.busy / st.observed : NAN;
        r.L = st.L;
        r.W = st.sojourn.n ? st.sojourn.mean : NAN;
        r.Wq = st.wait.n ? st.wait.mean : NAN;
        r.lambda = st.lambda_theory;
        r.mu = 1.0 / sim_dist_mean(&w->sc->so.service);
        if (so_analytic(w->sc, st.lambda_theory, &q) != 0)
            theory_ok = 0;
        r.rho = q.rho;
        r.L_th = q.L;
        r.W_th = q.W;
        r.Wq_th = q.Wq;
        {
            ana_queue qm;
            if (so_analytic(w->sc, r.arrival_rate, &qm) != 0)
                measured_ok = 0;
            r.rho_m = qm.rho;
            r.L_m = qm.L;
            r.W_m = qm.W;
            r.Wq_m = qm.Wq;
            all.rho_m += qm.rho / w->n_so;
            all.L_m += qm.L / w->n_so;
            all.W_m += r.arrival_rate * qm.W;
            all.Wq_m += r.arrival_rate * qm.Wq;
            lam_m += r.arrival_rate;
        }
        if (w->n_so <= 32) {
            snprintf(ent, sizeof ent, "so:%u", w->topo.nodes[st.node].id);
            report_emit(w, ent, &r);
        }
        /* Pool: counts and rates add up; utilisation and L are averaged
         * per SO; W and Wq are per request (theory weighted by lambda). */
        all.arrivals += r.arrivals;
        all.completions += r.completions;
        all.drops += r.drops;
        busy += st.busy;
        served += st.served;
        served_time += st.served_time;
        observed = st.observed;
        all.L += st.L / w->n_so;
        all.lambda += st.lambda_theory;
        all.rho += q.rho / w->n_so;
        all.L_th += q.L / w->n_so;
        all.W_th += st.lambda_theory * q.W;
        all.Wq_th += st.lambda_theory * q.Wq;
        ana_welford_merge(&soj, &st.sojourn);
        ana_welford_merge(&wait, &st.wait);
    }
    if (w->n_so) {
        all.arrival_rate = observed > 0 ? all.arrivals / observed : NAN;
        all.service_rate = served_time > 0 ? served / served_time : NAN;
        all.utilisation = observed > 0 ? busy / observed / w->n_so : NAN;
        all.W = soj.n ? soj.mean : NAN;
        all.mu = 1.0 / sim_dist_mean(&w->sc->so.service);
        all.Wq = wait.n ? wait.mean : NAN;
        if (theory_ok && all.lambda > 0) {
            all.W_th /= all.lambda;
            all.Wq_th /= all.lambda;
        } else {
            all.lambda = all.rho = all.L_th = all.W_th = all.Wq_th = NAN;
        }
        if (measured_ok && lam_m > 0) {
            all.W_m /= lam_m;
            all.Wq_m /= lam_m;
        } else {
            all.rho_m = all.L_m = all.W_m = all.Wq_m = NAN;
        }
        report_emit(w, "so:all", &all);
    }
    for (uint32_t v = 0; v < w->topo.n_nodes; v++)
        held += w->nodes[v].n_held;
    ana_metric_set(w->m, ana_metric_reg(w->m, "data.held_at_end", "", "msg",
                                        ANA_VALUE),
                   (double)held);
    ana_metric_set(w->m, ana_metric_reg(w->m, "run.events", "", "event",
                                        ANA_VALUE),
                   (double)sim_world_events(w));
    ana_metric_set(w->m, ana_metric_reg(w->m, "run.end_time", "", "s",
                                        ANA_VALUE),
                   sim_time_to_s(now));
    /* Locality exceptions: the end-of-run reports read every node's
     * state (the attackers' report names its own, attack_run.c). */
    sim_world_exempt(w, "end-of-run report");
    /* The denominators of the delay means: registrations answered of
     * those sent; data at their SO of the data created after the
     * warm-up; subscriber deliveries of those the matching filters ask
     * for (data still on their way at the end count as not delivered). */
    {
        const ana_welford *so_n = ana_metric_samples(w->m, w->id.d_so);
        const ana_welford *e2e_n = ana_metric_samples(w->m, w->id.d_e2e);
        ana_metric_set(w->m, w->id.f_reg,
                       reg_tried ? ana_metric_get(w->m, w->id.registered) /
                                          (double)reg_tried
                                    : NAN);
        ana_metric_set(w->m, w->id.f_so,
                       gen_wu ? (double)so_n->n / (double)gen_wu : NAN);
        ana_metric_set(w->m, w->id.f_e2e,
                       want_wu ? (double)e2e_n->n / (double)want_wu
                                  : NAN);
    }
    /* Every node's storage level now, before the protocol reports. */
    if (w->stor) {
        world_stor_flush_part(w, &w->parts[0]);
        world_stor_flush_part(w, &w->parts[1]);
        for (uint32_t v = 0; v < w->topo.n_nodes; v++)
            stor_sample(w, v, now);
    }
    if (w->proto->report)
        w->proto->report(w, w->proto_state, w->m);
    sim_world_exempt_end(w);
    if (w->obs && w->obs->report)
        w->obs->report(w->obs_ctx, w->m);
    if (w->proto->storage) {
        /* Every node: the keys it holds (the name says keys) and their
         * bytes in the scenario's key field sizes. */
        int kid = ana_metric_reg(w->m, "storage.keys_per_node", "", "key",
                                 ANA_SAMPLES);
        int bid = ana_metric_reg(w->m, "storage.bytes_per_node", "", "B",
                                 ANA_SAMPLES);
        sim_world_exempt(w, "end-of-run storage accounting");
        for (uint32_t v = 0; v < w->topo.n_nodes; v++) {
            ana_metric_add(w->m, kid,
                           (double)w->proto->keys(w, w->proto_state, v));
            ana_metric_add(w->m, bid,
                           (double)w->proto->storage(w, w->proto_state, v));
        }
        storage_report(w);
        sim_world_exempt_end(w);
    }
#ifdef KMSIM_LOCALITY
    world_loc_fail_if_any(w);
#endif
}

/* ---- --series (kmsim extension, issue 23) ---- */

static int64_t series_clock(const void *ctx)
{
    return world_now(ctx);
}

int sim_world_series(sim_world *w, const ana_series_opts *o, char *err,
                     size_t errlen)
{
    ana_series_opts so = *o;
    double bytes = 0, keys = 0;
    char ent[32];

    assert(!w->ser && !w->finished && sim_world_events(w) == 0);
    so.now = series_clock;
    so.now_ctx = w;
    if (ana_series_start(w->m, &so) != 0) {
        snprintf(err, errlen, "--series: cannot start the time series "
                 "(interval %lld ns, end %lld ns)", (long long)o->interval,
                 (long long)o->end);
        return -1;
    }
    w->ser = 1;
    w->ser_q = xmalloc((w->n_so ? w->n_so : 1) * sizeof *w->ser_q);
    w->ser_arr = xmalloc((w->n_so ? w->n_so : 1) * sizeof *w->ser_arr);
    for (uint32_t k = 0; k < w->n_so; k++) {
        snprintf(ent, sizeof ent, "so:%u", k);
        w->ser_q[k] = ana_series_reg(w->m, "queue.length", ent, "req",
                                     ANA_VALUE);
        w->ser_arr[k] = ana_series_reg(w->m, "queue.arrivals", ent, "req",
                                       ANA_COUNTER);
    }
    w->ser_q_all = ana_series_reg(w->m, "queue.length", "so:all", "req",
                                  ANA_VALUE);
    w->ser_arr_all = ana_series_reg(w->m, "queue.arrivals", "so:all", "req",
                                    ANA_COUNTER);
    w->ser_keys_all = w->ser_bytes_all = -1;
    if (w->stor) {
        w->ser_bytes_all = ana_series_reg(w->m, "storage.bytes", "", "B",
                                          ANA_VALUE);
        w->ser_keys_all = ana_series_reg(w->m, "storage.keys", "", "key",
                                         ANA_VALUE);
        if (w->ser_keys_all >= 0 && w->proto->keys) {
            w->ser_keys = xmalloc(w->topo.n_nodes * sizeof *w->ser_keys);
            sim_world_exempt(w, "storage accounting (series)");
            for (uint32_t v = 0; v < w->topo.n_nodes; v++) {
                w->ser_keys[v] =
                    (uint32_t)w->proto->keys(w, w->proto_state, v);
                keys += w->ser_keys[v];
            }
            sim_world_exempt_end(w);
        }
        for (uint32_t v = 0; v < w->topo.n_nodes; v++)
            bytes += w->stor[v].twa.value;
        ana_series_add_at(w->m, w->ser_bytes_all, bytes, 0);
        ana_series_add_at(w->m, w->ser_keys_all, keys, 0);
    }
    if (w->obs && w->obs->series)
        w->obs->series(w->obs_ctx, w->m);
    return 0;
}

void sim_world_fingerprint(sim_world *w, unsigned char out[32])
{
    sim_world_finish(w);
    memcpy(out, WP(w)->fp_out, 32);
}
