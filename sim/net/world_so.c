/* world_so.c — the application on top of the network: smart objects
 * (FCFS request queue, service, raw store, publish by MQTT topic to the
 * subscribers, the offered load their M/M/1 or M/G/1 model is computed
 * at), delivery of a packet at its destination (SO, source, subscriber,
 * or the protocol's control handler) and the sources (registration with
 * retries, traffic, moves).  The seam: what the world does with a message
 * once it has arrived, and where messages come from.  Private header:
 * world_int.h. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include "world_int.h"
#include "topic.h"
#include "util.h"

/* ------------------------------------------------------------------------
 * Smart objects
 * ---------------------------------------------------------------------- */

static void ev_so_done(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                       void *arg, uint64_t u64);

static void so_start_next(sim_world *w, so_rt *so)
{
    sim_pkt *p = so->q_head;
    sim_time now = sim_sched_now(WP(w)->sched);
    sim_time svc;

    if (so->serving || !p)
        return;
    so->q_head = p->next;
    if (!so->q_head)
        so->q_tail = NULL;
    p->next = NULL;
    so->serving = p;
    so->serve_start = now;
    if (after_warmup(w, p->arrived))
        ana_welford_add(&so->st.wait, sim_time_to_s(now - p->arrived));
    svc = sim_dist_sample_ns(&w->sc->so.service,
                             sim_rng_get(w->rng, SIM_RNG_SERVICE,
                                         w->so_of_node[so->node]));
    sim_sched_in(WP(w)->sched, svc, ev_so_done, SIM_EV_SO_DONE, so->node, NULL,
                 0);
}

/* --series: an arrival at SO `so` (arr 1) or a change of its number in
 * system by dq, into the running partition's registry or log (the SO is
 * its partition's: replayed in key order, sim/THREADS.md). */
static void so_series(sim_world *w, so_rt *so, int arr, int dq)
{
    ana_metrics *m = sim_world_metrics(w);
    uint32_t k = w->so_of_node[so->node];

    if (arr) {
        ana_series_add(m, w->ser_arr[k], 1);
        ana_series_add(m, w->ser_arr_all, 1);
    }
    if (dq) {
        ana_series_add(m, w->ser_q[k], dq);
        ana_series_add(m, w->ser_q_all, dq);
    }
}

/* A request (REGISTER or DATA) reaches the SO's FCFS queue. */
static void so_enqueue(sim_world *w, so_rt *so, sim_pkt *p)
{
    sim_time now = sim_sched_now(WP(w)->sched);

    if (after_warmup(w, now))
        so->st.arrivals++;
    if (w->ser)
        so_series(w, so, 1, 0);
    if (w->sc->so.queue_capacity &&
        so->in_system >= w->sc->so.queue_capacity) {
        if (after_warmup(w, now))
            so->st.drops++;
        ana_metric_add(WP(w)->m, w->id.so_drops, 1);
        sim_pkt_free(w, p);
        return;
    }
    p->arrived = now;
    p->next = NULL;
    if (so->q_tail)
        so->q_tail->next = p;
    else
        so->q_head = p;
    so->q_tail = p;
    so->in_system++;
    ana_twa_set(&so->nsys, now, so->in_system);
    if (w->ser)
        so_series(w, so, 0, 1);
    so_start_next(w, so);
}

static void busy_add(sim_world *w, so_rt *so, sim_time from, sim_time to)
{
    if (from < w->sc->warmup)
        from = w->sc->warmup;
    if (to > from)
        so->st.busy += sim_time_to_s(to - from);
}

static void ev_publish(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                       void *arg, uint64_t u64);

/* Service of one request finished: registration answered, or data stored
 * (raw store), processed, and handed to publishing after the publish
 * delay. */
static void ev_so_done(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                       void *arg, uint64_t u64)
{
    sim_world *w = ctx;
    so_rt *so = &w->sos[w->so_of_node[node]];
    sim_pkt *p = so->serving;
    sim_time now = sim_sched_now(s);
    (void)kind; (void)arg; (void)u64;

    assert(p);
    so->serving = NULL;
    so->in_system--;
    ana_twa_set(&so->nsys, now, so->in_system);
    if (w->ser)
        so_series(w, so, 0, -1);
    busy_add(w, so, so->serve_start, now);
    /* Service rate = services started after the warm-up / their total
     * time (no partial service at either end); utilisation uses the busy
     * time clipped to [warm-up, end]; sojourns only of requests that
     * arrived after the warm-up. */
    if (after_warmup(w, now))
        so->st.completions++;
    if (after_warmup(w, so->serve_start)) {
        so->st.served++;
        so->st.served_time += sim_time_to_s(now - so->serve_start);
    }
    if (after_warmup(w, p->arrived))
        ana_welford_add(&so->st.sojourn, sim_time_to_s(now - p->arrived));
    if (sim_pkt_type_of(p) == SIM_PKT_REGISTER) {
        /* A repeated registration (the answer was lost) gets the same
         * identifier again and does not reach the protocol twice. */
        uint32_t src = sim_pkt_src(p);
        node_rt *sn = &w->nodes[src];
        sim_pkt *ack = sim_pkt_new(w, SIM_PKT_REGISTER_ACK, node, src,
                                   w->nodes[node].seq++, 8, 0);
        uint64_t ident;

        if (!sn->known) {
            sn->known = 1;
            sn->ident = (uint32_t)so->next_id++;
            so->st.registered++;
            if (w->proto->on_register_so)
                w->proto->on_register_so(w, w->proto_state, node, src);
        }
        ident = ((uint64_t)w->so_of_node[node] << 32) | sn->ident;
        for (int i = 0; i < 8; i++)
            sim_pkt_ctl(ack)[i] = (unsigned char)(ident >> (8 * i));
        sim_pkt_free(w, p);
        sim_world_originate(w, node, ack);
    } else {
        /* Raw data store, then processing (the service just finished),
         * then publication after the publish delay. */
        ana_metric_add(WP(w)->m, w->id.stored, p->payload);
        p->served = now;
        sim_time beta = sim_dist_sample_ns(
            &w->sc->so.publish,
            sim_rng_get(w->rng, SIM_RNG_PUBLISH, w->so_of_node[node]));
        sim_sched_in(s, beta, ev_publish, SIM_EV_PUBLISH, node, p, 0);
    }
    so_start_next(w, so);
}

/* Writes the concrete topic of source ordinal `ord` ("{id}" replaced by
 * the source's node id) into buf; returns its length. */
/* Writes the concrete topic of source `src` (its template with every
 * "{id}" replaced by the node's id, as the loader validated it) into buf
 * of TOPIC_MAX bytes; returns its length.  A template has at most
 * SCN_MAX_STRING bytes and "{id}" (4 bytes) becomes at most 10 digits. */
#define TOPIC_MAX (3 * SCN_MAX_STRING + 16)
static size_t topic_of(const sim_world *w, uint32_t src, char *buf)
{
    const scn_traffic *tr = &w->sc->traffic;
    const char *tpl = tr->topics[w->nodes[src].src_ord % tr->n_topics];
    const char *hole;
    size_t n = 0;
    char id[16];
    int idlen = snprintf(id, sizeof id, "%u", w->topo.nodes[src].id);

    while ((hole = strstr(tpl, "{id}")) != NULL) {
        memcpy(buf + n, tpl, (size_t)(hole - tpl));
        n += (size_t)(hole - tpl);
        memcpy(buf + n, id, (size_t)idlen);
        n += (size_t)idlen;
        tpl = hole + 4;
    }
    memcpy(buf + n, tpl, strlen(tpl) + 1);
    return n + strlen(tpl);
}

/* Subscribers of src's SO whose filter matches src's topic: the
 * deliveries each of its messages should make (ground truth for the
 * delivered fraction, not a protocol decision).  Cached until it moves. */
static uint32_t want_of(sim_world *w, uint32_t src)
{
    node_rt *n = &w->nodes[src];

    if (n->want < 0) {
        n->want = 0;
        if (n->home_so != SIM_NONE) {
            const so_rt *so = &w->sos[w->so_of_node[n->home_so]];
            char topic[TOPIC_MAX];
            if (so->sub_off < so->sub_end)
                topic_of(w, src, topic);
            for (uint32_t i = so->sub_off; i < so->sub_end; i++) {
                uint32_t sub = w->so_subs[i];
                if (sim_topic_match(w->sc->subs.filters[
                        w->sub_filter[sub] % w->sc->subs.n_filters], topic))
                    n->want++;
            }
        }
    }
    return (uint32_t)n->want;
}

static void send_data(sim_world *w, uint32_t src, sim_pkt *p);

static void ev_publish(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                       void *arg, uint64_t u64)
{
    sim_world *w = ctx;
    so_rt *so = &w->sos[w->so_of_node[node]];
    sim_pkt *data = arg;
    char topic[TOPIC_MAX];
    size_t tlen = 0;
    (void)s; (void)kind; (void)u64;

    ana_metric_add(WP(w)->m, w->id.published, 1);
    if (so->sub_off < so->sub_end)
        tlen = topic_of(w, data->origin, topic);
    for (uint32_t i = so->sub_off; i < so->sub_end; i++) {
        uint32_t sub = w->so_subs[i];
        const char *filter =
            w->sc->subs.filters[w->sub_filter[sub] % w->sc->subs.n_filters];
        sim_pkt *p;
        unsigned char *b;

        if (!sim_topic_match(filter, topic))
            continue;
        p = sim_pkt_new(w, SIM_PKT_PUBLISH, node, sub, w->nodes[node].seq++,
                        0, (uint32_t)(2 + tlen + data->payload));
        b = sim_pkt_data(p);
        sim_put16(b, (uint16_t)tlen);
        memcpy(b + 2, topic, tlen);
        memcpy(b + 2 + tlen, sim_pkt_data(data), data->payload);
        p->created = data->created;
        p->sent = data->sent;           /* seed 000's T split, per copy */
        p->arrived = data->arrived;
        p->served = data->served;
        p->origin = data->origin;
        p->payload = data->payload;
        send_data(w, node, p);          /* the protocol may protect it */
    }
    sim_pkt_free(w, data);
}

/* ------------------------------------------------------------------------
 * Delivery
 * ---------------------------------------------------------------------- */

static void source_flush(sim_world *w, uint32_t src);

void sim_world_refuse(sim_world *w, uint32_t node, sim_pkt *p)
{
    (void)node;
    if (!p->atk || p->atk_state == PS_REFUSED)
        return;
    if (p == w->inj_cur)
        w->inj_cur_refused = 1;
    /* A refusal after the packet was counted accepted (a protocol that
     * decides later) moves it over. */
    if (w->obs && w->obs->outcome)
        w->obs->outcome(w->obs_ctx, (uint32_t)p->atk - 1, p->atk_class, 0,
                        p->atk_state == PS_ACCEPTED && p != w->inj_cur);
    p->atk_state = PS_REFUSED;
}

/* The world's own refusal of a received packet: counted, then freed. */
void world_reject(sim_world *w, uint32_t node, sim_pkt *p)
{
    ana_metric_add(WP(w)->m, w->id.rejected, 1);
    sim_world_refuse(w, node, p);
    sim_pkt_free(w, p);
}

/* Seed 000's T = Z + n/Pi + beta, measured on publish p delivered now
 * (its data created after the warm-up): key access Z (created -> first
 * left its source: waiting for registration, keys or a channel, and the
 * source's CPU), transfer (-> entered the SO's queue: links, queues,
 * forwarders), SO (queue + service) and publish (service done ->
 * delivered: the publish delay beta, the SO's protection, the way to the
 * subscriber).  The four parts add up to delay.end_to_end.  A publish
 * the network never carried from an SO (an attacker's forgery) has no
 * stamps and no parts. */
static void t_split(sim_world *w, const sim_pkt *p, sim_time now)
{
    if (p->sent < p->created || p->arrived < p->sent ||
        p->served < p->arrived || now < p->served)
        return;
    ana_metric_add(WP(w)->m, w->id.d_key, sim_time_to_s(p->sent - p->created));
    ana_metric_add(WP(w)->m, w->id.d_xfer, sim_time_to_s(p->arrived - p->sent));
    ana_metric_add(WP(w)->m, w->id.d_sod, sim_time_to_s(p->served - p->arrived));
    ana_metric_add(WP(w)->m, w->id.d_pub, sim_time_to_s(now - p->served));
}

void world_deliver(sim_world *w, uint32_t node, sim_pkt *p)
{
    node_rt *n = &w->nodes[node];
    sim_time now = sim_sched_now(WP(w)->sched);

    switch (sim_pkt_type_of(p)) {
    case SIM_PKT_REGISTER:
        if (n->role != SCN_ROLE_SO)
            break;
        so_enqueue(w, &w->sos[w->so_of_node[node]], p);
        return;
    case SIM_PKT_DATA:
        if (n->role != SCN_ROLE_SO)
            break;
        if (w->proto->unprotect &&
            w->proto->unprotect(w, w->proto_state, node, p) != 0) {
            world_reject(w, node, p);
            return;
        }
        ana_metric_add(WP(w)->m, w->id.data_at_so, 1);
        if (after_warmup(w, p->created))
            ana_metric_add(WP(w)->m, w->id.d_so, sim_time_to_s(now - p->created));
        so_enqueue(w, &w->sos[w->so_of_node[node]], p);
        return;
    case SIM_PKT_REGISTER_ACK:
        if (n->role != SCN_ROLE_SOURCE)
            break;
        if (n->registered) {
            /* The answer to a retry that crossed the first answer. */
            ana_metric_add(WP(w)->m, w->id.dup_acks, 1);
            sim_world_refuse(w, node, p);
            sim_pkt_free(w, p);
            return;
        }
        n->registered = 1;
        n->reg_done = now;
        ana_metric_add(WP(w)->m, w->id.registered, 1);
        ana_metric_add(WP(w)->m, w->id.d_reg, sim_time_to_s(now - n->reg_sent));
        if (w->proto->on_register_source)
            w->proto->on_register_source(w, w->proto_state, node,
                                         sim_pkt_src(p));
        sim_pkt_free(w, p);
        source_flush(w, node);
        return;
    case SIM_PKT_PUBLISH:
        if (n->role != SCN_ROLE_SUBSCRIBER)
            break;
        if ((sim_pkt_flags(p) & (SIM_F_CTL_SEALED | SIM_F_DATA_SEALED)) &&
            (!w->proto->unprotect ||
             w->proto->unprotect(w, w->proto_state, node, p) != 0)) {
            world_reject(w, node, p);
            return;
        }
        ana_metric_add(WP(w)->m, w->id.pub_deliveries, 1);
        if (after_warmup(w, p->created)) {
            ana_metric_add(WP(w)->m, w->id.d_e2e, sim_time_to_s(now - p->created));
            t_split(w, p, now);
        }
        sim_pkt_free(w, p);
        return;
    case SIM_PKT_CONTROL:
        if (w->proto->on_control) {
            w->proto->on_control(w, w->proto_state, node, p);
            return;
        }
        break;
    default:
        break;
    }
    world_reject(w, node, p);
}

/* ------------------------------------------------------------------------
 * Sources: registration and traffic
 * ---------------------------------------------------------------------- */

/* A data or publish packet leaves src: the protocol protects it first. */
static void send_data(sim_world *w, uint32_t src, sim_pkt *p)
{
    int rc = 0;
    if (w->proto->protect)
        rc = w->proto->protect(w, w->proto_state, src, sim_pkt_dst(p), p);
    if (rc == 0)
        sim_world_originate(w, src, p);
    else if (rc < 0) {
        ana_metric_add(WP(w)->m, w->id.rejected, 1);
        sim_pkt_free(w, p);
    }
    /* rc > 0: the protocol keeps p and sends it when ready. */
}

/* Sends the data held while registration was pending.  They leave the
 * source now, so they go where it sends now: a source that moved while
 * they waited readdresses them to its new SO (nothing is sealed yet). */
static void source_flush(sim_world *w, uint32_t src)
{
    node_rt *n = &w->nodes[src];
    while (n->held) {
        sim_pkt *p = n->held;
        n->held = p->next;
        p->next = NULL;
        if (sim_pkt_dst(p) != n->home_so)
            sim_put32(p->buf + 8, n->home_so);
        send_data(w, src, p);
    }
    n->held_tail = NULL;
    n->n_held = 0;
}

/* Sends (or resends) a source's registration; an unanswered one is sent
 * again after register_retry.  The registration delay is measured from
 * the first attempt. */
void world_ev_register(sim_sched *s, void *ctx, uint32_t kind,
                        uint32_t node, void *arg, uint64_t u64)
{
    sim_world *w = ctx;
    node_rt *n = &w->nodes[node];
    (void)kind; (void)arg;

    if (n->registered)
        return;
    if (u64 == 0) {
        n->reg_sent = sim_sched_now(s);
        WP(w)->reg_tried++;
    }
    else
        ana_metric_add(WP(w)->m, w->id.reg_retries, 1);
    sim_world_originate(w, node, sim_pkt_new(w, SIM_PKT_REGISTER, node, n->home_so,
                                   n->seq++, 0, 0));
    if (w->sc->traffic.register_retry > 0) {
        /* Exponential backoff (retry, 2 retry, 4 retry, ... capped at 64
         * retry): a congested SO must not be buried under duplicates. */
        sim_time wait = w->sc->traffic.register_retry;
        for (uint64_t i = 0; i < u64 && i < 6 && wait < w->sc->duration; i++)
            wait *= 2;
        if (wait < w->sc->duration - sim_sched_now(s))
            sim_sched_in(s, wait, world_ev_register, SIM_EV_REGISTER, node,
                         NULL, u64 + 1);
    }
}

void world_ev_traffic(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                       void *arg, uint64_t u64)
{
    sim_world *w = ctx;
    node_rt *n = &w->nodes[node];
    gsl_rng *r = sim_rng_get(w->rng, SIM_RNG_TRAFFIC, node);
    double sz = sim_dist_sample(&w->sc->traffic.size, r);
    sim_time next = sim_dist_sample_ns(&w->sc->traffic.interval, r);
    uint32_t payload;
    sim_pkt *p;
    (void)kind; (void)arg; (void)u64;

    /* Draw order per message is fixed (size, then next interval), so the
     * traffic never depends on what the protocol does. */
    if (sz < 1 || sz > SIM_PAYLOAD_MAX) {
        /* Unbounded distributions (exp, normal, ...) are clamped to
         * [1 B, 64 KiB], the loader's bounds, and counted. */
        ana_metric_add(WP(w)->m, w->id.size_clamped, 1);
        sz = sz < 1 ? 1 : SIM_PAYLOAD_MAX;
    }
    payload = (uint32_t)llround(sz);
    if (sim_sched_now(s) + next < w->sc->duration)
        sim_sched_in(s, next, world_ev_traffic, SIM_EV_TRAFFIC, node, NULL, 0);

    ana_metric_add(WP(w)->m, w->id.data_gen, 1);
    ana_metric_add(WP(w)->m, w->id.data_payload, payload);
    if (after_warmup(w, sim_sched_now(s))) {
        WP(w)->gen_wu++;
        WP(w)->want_wu += want_of(w, node);
    }
    if (n->home_so == SIM_NONE) {
        ana_metric_add(WP(w)->m, w->id.unroutable, 1);
        return;
    }
    p = sim_pkt_new(w, SIM_PKT_DATA, node, n->home_so, n->seq++, 0, payload);
    p->payload = payload;
    memset(sim_pkt_data(p), (int)(n->seq & 0xff), payload);
    if (n->anonymous) {
        /* Unregistered: no key management, the data go in clear. */
        ana_metric_add(WP(w)->m, w->id.anon, 1);
        sim_world_originate(w, node, p);
    } else if (n->registered) {
        send_data(w, node, p);
    } else if (n->n_held >= HOLD_MAX) {
        /* Waiting for registration: keep at most HOLD_MAX messages. */
        ana_metric_add(WP(w)->m, w->id.held_drops, 1);
        sim_pkt_free(w, p);
    } else {
        if (n->held_tail)
            n->held_tail->next = p;
        else
            n->held = p;
        n->held_tail = p;
        n->n_held++;
    }
}

/* Move u64 of the scenario (sorted list): source `node` sends to another
 * SO from now on.  What it creates or first sends from now on (data,
 * held data, registration retries) goes to the new SO; what is already
 * on its way (links, SO queues, data a protocol deferred) is not touched.
 * The source stays registered. */
void world_ev_move(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                    void *arg, uint64_t u64)
{
    sim_world *w = ctx;
    const scn_move *mv = &w->sc->moves[u64];
    node_rt *n = &w->nodes[node];
    uint32_t old = n->home_so;
    (void)s; (void)kind; (void)arg;

    assert(mv->node == node && old != mv->to);
    n->home_so = mv->to;
    n->so_hops = w->mv_hops[u64];
    n->moves++;
    n->want = -1;                 /* other subscribers from now on */
    ana_metric_add(WP(w)->m, w->id.moves, 1);
    if (w->proto->on_move)
        w->proto->on_move(w, w->proto_state, node, old, mv->to);
}

void world_ev_warmup(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                      void *arg, uint64_t u64)
{
    sim_world *w = ctx;
    (void)kind; (void)node; (void)arg; (void)u64;

    /* Busy time and sojourns are clipped to the warm-up by their own
     * checks; only the time average of the number in system restarts. */
    for (uint32_t i = 0; i < w->n_so; i++)
        ana_twa_reset(&w->sos[i].nsys, sim_sched_now(s));
    for (uint32_t v = 0; w->stor && v < w->topo.n_nodes; v++) {
        ana_twa_reset(&w->stor[v].twa, sim_sched_now(s));
        w->stor[v].peak = w->stor[v].twa.value;
    }
}

/* ------------------------------------------------------------------------
 * Offered load at the smart objects (M/M/1, M/G/1 theory)
 * ---------------------------------------------------------------------- */

/* Offered Poisson request rate at each SO: the sources homed there, each
 * at 1/E[interval], thinned by the loss of every link on its path (a
 * thinned Poisson process is Poisson).  NaN when the arrivals are not
 * Poisson (interval not exponential).  This part adds the sources that
 * never move and fills pdel[v], the probability that a message of v
 * crosses every link of its forest path to near_so; it reads the BFS
 * order left in bfs_queue by world_route_forest, so it runs before anything
 * else uses that scratch.  world_so_theory_moves adds the sources that move. */
void world_so_theory(sim_world *w, uint32_t n_reached, double *pdel,
                      const unsigned char *moved)
{
    const sim_topo *t = &w->topo;
    const scenario *sc = w->sc;
    double rate = 1.0 / sim_dist_mean(&sc->traffic.interval);
    int poisson = sim_dist_is_exp(&sc->traffic.interval);

    for (uint32_t i = 0; i < w->n_so; i++)
        w->sos[i].st.lambda_theory = poisson ? 0.0 : NAN;
    /* BFS order: a node's parent comes before it. */
    for (uint32_t k = 0; k < n_reached; k++) {
        uint32_t v = WP(w)->bfs_queue[k];
        uint32_t l = w->fwd[v].to_so_link;
        if (l == SIM_NONE) {
            pdel[v] = 1.0;
            continue;
        }
        pdel[v] = pdel[w->fwd[v].up] * (1.0 - sim_topo_link_params(t, l)->loss);
        if (poisson && t->nodes[v].role == SCN_ROLE_SOURCE &&
            !(moved && moved[v]))
            w->sos[w->so_of_node[w->fwd[v].near_so]].st.lambda_theory +=
                rate * pdel[v];
    }
}

/* Fraction of the measurement window [warmup, duration] inside [a, b). */
static double window_frac(const scenario *sc, sim_time a, sim_time b)
{
    sim_time lo = a > sc->warmup ? a : sc->warmup;
    sim_time hi = b < sc->duration ? b : sc->duration;

    return hi > lo ? (double)(hi - lo) / (double)(sc->duration - sc->warmup)
                   : 0.0;
}

/* The sources that move: each adds, at every SO it sends to, its rate
 * thinned by the losses of that path (pdel: the forest path to its
 * nearest SO, mv_pdel[i]: the path of move i) times the fraction of the
 * measurement window it spends sending there.  The arrivals at an SO are
 * then Poisson with a rate that steps at the moves; lambda_theory is that
 * rate averaged over the window (what the window's measured arrival rate
 * estimates), and the M/M/1 (M/G/1) values are computed at it. */
void world_so_theory_moves(sim_world *w, const double *pdel,
                            const double *mv_pdel)
{
    const scenario *sc = w->sc;
    uint32_t n = w->topo.n_nodes;
    double rate = 1.0 / sim_dist_mean(&sc->traffic.interval);
    uint32_t *cur;         /* per source: the SO of its current segment  */
    sim_time *since;       /*   the segment's start                      */
    double *p;             /*   its delivery probability                 */

    if (!sim_dist_is_exp(&sc->traffic.interval) || sc->n_moves == 0)
        return;
    cur = xmalloc((size_t)n * sizeof *cur);
    since = xmalloc((size_t)n * sizeof *since);
    p = xmalloc((size_t)n * sizeof *p);
    for (uint32_t v = 0; v < n; v++)
        cur[v] = SIM_NONE;
    for (size_t i = 0; i < sc->n_moves; i++) {
        const scn_move *mv = &sc->moves[i];
        uint32_t v = mv->node;
        if (cur[v] == SIM_NONE) {
            cur[v] = w->fwd[v].near_so;
            since[v] = 0;
            p[v] = pdel[v];
        }
        w->sos[w->so_of_node[cur[v]]].st.lambda_theory +=
            rate * p[v] * window_frac(sc, since[v], mv->at);
        cur[v] = mv->to;
        since[v] = mv->at;
        p[v] = mv_pdel[i];
    }
    for (uint32_t v = 0; v < n; v++)
        if (cur[v] != SIM_NONE)
            w->sos[w->so_of_node[cur[v]]].st.lambda_theory +=
                rate * p[v] * window_frac(sc, since[v], SIM_TIME_MAX);
    free(cur);
    free(since);
    free(p);
}

void sim_world_so_stats(sim_world *w, uint32_t k, sim_so_stats *out)
{
    so_rt *so = &w->sos[k];
    sim_time now = world_now(w);
    sim_time start = w->sc->warmup < now ? w->sc->warmup : now;

    *out = so->st;
    out->observed = sim_time_to_s(now - start);
    if (so->serving)
        out->busy += sim_time_to_s(now - (so->serve_start > start
                                              ? so->serve_start : start));
    ana_twa_set(&so->nsys, now, so->in_system);
    out->L = ana_twa_mean(&so->nsys, now);
}
