/* attack_run.c — the attacker runner of a run (attack.h): set-up (who
 * attacks what, when; the tap and the events it registers), the
 * outcomes the world reports, the life cycle, the report and series of
 * every attacker, and its wiring into the world as the world's observer
 * (atk_attach, world.h sim_world_obs).  What each attacker type does once
 * running is in attack.c (see its top comment); both share
 * attack_int.h. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cry.h"
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include "attack.h"
#include "world.h"
#include "hooks.h"
#include "wire.h"
#include "rng.h"
#include "dist.h"
#include "qtheory.h"
#include "util.h"
#include "attack_int.h"

static const char *const kind_names[SCN_ATK_COUNT] = {
    "eavesdropper", "node_capture", "global_key_leak", "seed_sniffing",
    "replay", "forgery", "tampering", "insider", "flooding"};

/* ------------------------------------------------------------------------
 * Set-up
 * ---------------------------------------------------------------------- */

static int in_region(const scn_node *n, const double r[4])
{
    return n->x >= r[0] && n->x <= r[2] && n->y >= r[1] && n->y <= r[3];
}

/* Which nodes a kind may target. */
static int eligible(const atk_run *R, int kind, uint32_t v)
{
    scn_role role = R->t->nodes[v].role;

    switch (kind) {
    case SCN_ATK_INSIDER:
        return role == SCN_ROLE_SOURCE;
    case SCN_ATK_FLOODING:
        return role == SCN_ROLE_SO;
    default:
        return 1;
    }
}

static const char *eligible_what(int kind)
{
    return kind == SCN_ATK_INSIDER ? "a source"
           : kind == SCN_ATK_FLOODING ? "a smart object" : "a node";
}

/* The attacker's nodes: its list, the nodes of its region, `count` random
 * eligible nodes, or (where = all) every eligible node. */
static int pick_nodes(atk_run *R, attacker *A, char *err, size_t errlen)
{
    const scn_attacker *s = A->s;
    const scenario *sc = sim_world_scenario(R->w);
    uint32_t n = R->t->n_nodes, k = 0, *pool;

    A->nodes = xcalloc(n ? n : 1, sizeof *A->nodes);
    if (s->where == SCN_WHERE_LIST) {
        for (size_t i = 0; i < s->n_targets; i++) {
            uint32_t v = s->targets[i];
            if (!eligible(R, A->kind, v)) {
                scn_error_at(sc, &s->entry, err, errlen,
                             "attackers[%u]: node %u is not %s", A->idx,
                             R->t->nodes[v].id, eligible_what(A->kind));
                return -1;
            }
            A->nodes[k++] = v;
        }
        A->n_nodes = k;
        return 0;
    }
    pool = xcalloc(n ? n : 1, sizeof *pool);
    for (uint32_t v = 0; v < n; v++)
        if (eligible(R, A->kind, v) &&
            (s->where != SCN_WHERE_REGION ||
             in_region(&R->t->nodes[v], s->region)))
            pool[k++] = v;
    if (s->where == SCN_WHERE_RANDOM ||
        (s->where == SCN_WHERE_ALL && (A->kind == SCN_ATK_NODE_CAPTURE ||
                                       A->kind == SCN_ATK_INSIDER))) {
        uint32_t want = s->count;
        if (want > k) {
            free(pool);
            scn_error_at(sc, &s->entry, err, errlen,
                         "attackers[%u]: 'count' (%u) exceeds the %u "
                         "eligible nodes (%s each)", A->idx, want, k,
                         eligible_what(A->kind));
            return -1;
        }
        /* partial Fisher-Yates with the attacker's stream */
        for (uint32_t i = 0; i < want; i++) {
            uint32_t j = i + (uint32_t)gsl_rng_uniform_int(atk_run_arng(R, A),
                                                           k - i);
            uint32_t t = pool[i];
            pool[i] = pool[j];
            pool[j] = t;
        }
        k = want;
    }
    memcpy(A->nodes, pool, (size_t)k * sizeof *pool);
    A->n_nodes = k;
    free(pool);
    if (k == 0 && A->kind != SCN_ATK_EAVESDROPPER &&
        A->kind != SCN_ATK_SEED_SNIFFING && A->kind != SCN_ATK_REPLAY &&
        A->kind != SCN_ATK_TAMPERING) {
        scn_error_at(sc, &s->entry, err, errlen,
                     "attackers[%u]: no node to act on (%s each)", A->idx,
                     eligible_what(A->kind));
        return -1;
    }
    return 0;
}

/* Links a tapping attacker covers: all, or those with an end among its
 * nodes (list, region, random).  NULL = all. */
static void pick_links(atk_run *R, attacker *A)
{
    if (A->s->where == SCN_WHERE_ALL && A->kind != SCN_ATK_INSIDER)
        return;
    A->cover = xcalloc(R->t->n_links ? R->t->n_links : 1, 1);
    for (uint32_t i = 0; i < A->n_nodes; i++) {
        uint32_t v = A->nodes[i];
        for (uint32_t j = R->t->adj_off[v]; j < R->t->adj_off[v + 1]; j++)
            A->cover[R->t->adj_link[j]] = 1;
    }
}

static void atk_run_free(atk_run *R);

/* Builds the attackers of the world's scenario (after the protocol's
 * init): taps, scheduled actions.  *out is NULL when there are none.
 * Returns 0, or -1 with one line in err. */
static int atk_run_new(sim_world *w, const atk_proto_hooks *hooks,
                       atk_run **out, char *err, size_t errlen)
{
    static const atk_proto_hooks no_hooks;   /* every hook NULL */
    const scenario *sc = sim_world_scenario(w);
    atk_run *R;
    gsl_rng *kr;

    *out = NULL;
    if (sc->n_attackers == 0)
        return 0;
    R = xcalloc(1, sizeof *R);
    R->w = w;
    R->ops = sc->proto;
    R->hooks = hooks ? hooks : &no_hooks;
    R->t = sim_world_topo(w);
    /* The bases' key-store seeds: the coalition's first, then each
     * separate attacker's, in list order, from one stream. */
    kr = sim_rng_get(sim_world_rng(w), SIM_RNG_ATTACKER, sc->n_attackers);
    R->kb = atk_kb_new_aead(gsl_rng_get(kr), R->t->n_nodes,
                            (cry_aead)sc->aead);
    R->scratch = xmalloc(sizeof *R->scratch + SIM_PKT_MAX +
                         2 * CRY_TAG_BYTES);
    memset(R->scratch, 0, sizeof *R->scratch);
    R->scratch->cap = SIM_PKT_MAX + 2 * CRY_TAG_BYTES;
    R->n = sc->n_attackers;
    R->a = xcalloc(R->n, sizeof *R->a);
    if (!R->kb) {
        snprintf(err, errlen, "cannot allocate the attackers' key store");
        atk_run_free(R);
        return -1;
    }
    for (size_t i = 0; i < R->n; i++) {
        attacker *A = &R->a[i];
        const scn_attacker *s = &sc->attackers[i];

        A->s = s;
        A->idx = (uint32_t)i;
        A->kind = s->kind;
        A->kb = s->coalition ? R->kb
                             : atk_kb_new_aead(gsl_rng_get(kr),
                                               R->t->n_nodes,
                                               (cry_aead)sc->aead);
        if (!A->kb) {
            snprintf(err, errlen, "cannot allocate attacker %zu's key store",
                     i);
            atk_run_free(R);
            return -1;
        }
        A->first_read = A->en_first = A->en_last = -1;
        A->ser[0] = A->ser[1] = A->ser[2] = -1;
        A->last_readable = -1;
        A->leak_id = -1;
        A->at = sim_dist_sample_ns(&s->at, atk_run_arng(R, A));
        A->detect = s->detection > 0 ? A->at + s->detection : -1;
        /* tampering: messages; replay, forgery: messages, at most
         * INJECT_MAX; insider (count = insiders): injections until the
         * end, at most INJECT_MAX */
        A->budget = A->kind == SCN_ATK_INSIDER ? INJECT_MAX
                    : (A->kind == SCN_ATK_REPLAY ||
                       A->kind == SCN_ATK_FORGERY) && s->count > INJECT_MAX
                        ? INJECT_MAX : s->count;
        /* Nodes: the targets of captures, insiders and floods, and of a
         * tapping attacker restricted to some nodes' links. */
        if (A->kind != SCN_ATK_GLOBAL_KEY_LEAK &&
            (s->where != SCN_WHERE_ALL || A->kind == SCN_ATK_NODE_CAPTURE ||
             A->kind == SCN_ATK_INSIDER || A->kind == SCN_ATK_FLOODING) &&
            pick_nodes(R, A, err, errlen) != 0) {
            atk_run_free(R);
            return -1;
        }
        if (atk_run_is_reader(A->kind) || A->kind == SCN_ATK_REPLAY ||
            A->kind == SCN_ATK_TAMPERING)
            pick_links(R, A);
        if (atk_run_is_reader(A->kind))
            R->readers = 1;
        if (atk_run_is_window(A->kind))
            R->windows = 1;
        if (A->at < sc->duration)
            sim_sched_at(sim_world_sched(w), A->at, atk_run_ev_start, SIM_EV_ATTACK,
                         SIM_NONE, NULL, i);
        if (A->detect >= 0 && A->detect < sc->duration &&
            (A->kind == SCN_ATK_NODE_CAPTURE ||
             A->kind == SCN_ATK_GLOBAL_KEY_LEAK ||
             A->kind == SCN_ATK_INSIDER))
            sim_sched_at(sim_world_sched(w), A->detect, atk_run_ev_detect,
                         SIM_EV_ATTACK + 1, SIM_NONE, NULL, i);
    }
    sim_world_add_tap(w, atk_run_tap, R);
    *out = R;
    return 0;
}

/* NULL is a no-op. */
static void atk_run_free(atk_run *R)
{
    if (!R)
        return;
    for (size_t i = 0; R->a && i < R->n; i++) {
        attacker *A = &R->a[i];
        for (size_t j = 0; j < A->n_rec; j++)
            free(A->rec[j].b);
        for (size_t j = 0; j < A->n_rp; j++)
            free(A->rp[j].b);
        free(A->rec);
        free(A->rp);
        free(A->cls);
        free(A->cover);
        free(A->nodes);
        if (A->kb != R->kb)
            atk_kb_free(A->kb);   /* wipes its values */
    }
    free(R->a);
    if (R->scratch)
        cry_wipe(R->scratch->buf, R->scratch->cap);
    free(R->scratch);
    atk_kb_free(R->kb);
    free(R);
}

atk_kb *atk_run_kb(atk_run *R)
{
    return R ? R->kb : NULL;
}

/* The world reports the outcome of attacker attacker_idx's message of
 * class cls at the node it was meant for: accepted (1) or refused (0);
 * moved = 1 when a refusal follows an acceptance already counted. */
static void atk_outcome(atk_run *R, uint32_t attacker_idx, uint32_t cls,
                        int accepted, int moved)
{
    attacker *A;
    cls_out *c = NULL;

    if (!R || attacker_idx >= R->n)
        return;
    A = &R->a[attacker_idx];
    if (A->kind == SCN_ATK_FORGERY) {
        int st = (cls & ATK_CLS_STOLEN) != 0;
        uint64_t *acc = st ? &A->acc_stolen : &A->acc_made;
        uint64_t *rej = st ? &A->rej_stolen : &A->rej_made;
        if (accepted) {
            (*acc)++;
        } else {
            (*rej)++;
            if (moved && *acc > 0)
                (*acc)--;
        }
    }
    for (size_t i = 0; i < A->n_cls; i++)
        if (A->cls[i].cls == cls)
            c = &A->cls[i];
    if (!c) {
        A->cls = xreallocarray(A->cls, A->n_cls + 1, sizeof *A->cls);
        c = &A->cls[A->n_cls++];
        c->cls = cls;
        c->acc = c->rej = 0;
    }
    if (accepted) {
        A->accepted++;
        c->acc++;
    } else {
        A->rejected++;
        c->rej++;
        if (moved && A->accepted > 0 && c->acc > 0) {
            A->accepted--;
            c->acc--;
        }
    }
}

/* ------------------------------------------------------------------------
 * Report
 * ---------------------------------------------------------------------- */

typedef struct emitter {
    ana_metrics *m;
    const char *kind;
    char entity[48];
} emitter;

/* kmsim metrics (mlist.h): the meaning of each metric of
 * the attackers,
 * registered below, by glob over its name (first match wins; a
 * statistic ".mean", ".sd", ... of a sample metric takes its meaning). */
const ana_metric_doc sim_mdoc_attack[] = {
    {"attack.all.captured",
     "nodes captured by any attacker"},
    {"attack.all.crypto.open",
     "AEAD opens tried by every attacker's knowledge base, summed"},
    {"attack.all.kb.keys",
     "keys held by all attacker knowledge bases, summed"},
    {"attack.all.kb.material",
     "key material items held by all attacker knowledge bases"},
    {"attack.*.ctl.seen",
     "control message parts the attacker saw on its links (own view)"},
    {"attack.*.ctl.read",
     "control message parts the attacker could open (own view)"},
    {"attack.*.data.seen",
     "data message parts the attacker saw on its links (own view)"},
    {"attack.*.data.read",
     "data message parts the attacker could open (own view)"},
    {"attack.*.payload.seen",
     "data parts of data and publish messages seen (own view)"},
    {"attack.*.payload.read",
     "data parts of data and publish messages opened (own view)"},
    {"attack.*.read.late",
     "parts opened later, once a key learned afterwards opened them"},
    {"attack.*.first_read",
     "time of the attacker's first successful read"},
    {"attack.*.unrecorded",
     "parts not kept for later because the recording was full"},
    {"attack.*.seen",
     "messages the attacker saw on the links it taps"},
    {"attack.*.start",
     "time the attacker became active"},
    {"attack.*.enabled.first",
     "time of the first read its knowledge made possible"},
    {"attack.*.enabled.last",
     "time of the last read its knowledge made possible"},
    {"attack.*.enabled.reads",
     "reads (by any reader sharing its base) its knowledge made possible"},
    {"attack.*.enabled.after_detection",
     "reads its knowledge made possible after detection"},
    {"attack.*.exposure_window",
     "from its start to the last read its knowledge made possible"},
    {"attack.*.keys.learned",
     "keys it added to its knowledge base (new to the coalition)"},
    {"attack.*.detection",
     "time the compromise was detected (the protocol's reaction starts)"},
    {"attack.*.recovery",
     "from detection to the last data message its base could open (ground truth)"},
    {"attack.*.reaction.told",
     "nodes the protocol's reaction told (ground truth)"},
    {"attack.*.leaked",
     "keys the leak handed to the attacker"},
    {"attack.*.nodes",
     "nodes the attacker captured or controls"},
    {"attack.*.links.exposed_clean.*",
     "fraction of keyed links without a captured end whose key its base holds (E-G's quantity)"},
    {"attack.*.links.exposed.*",
     "fraction of the protocol's keyed links whose current key its base holds or derives"},
    {"attack.*.links.*",
     "keyed links of the protocol (at capture / at the end)"},
    {"attack.*.traffic.readable.before",
     "fraction of all data messages its base could open before detection (ground truth)"},
    {"attack.*.traffic.readable.after",
     "fraction of all data messages its base could open after detection (ground truth)"},
    {"attack.*.traffic.before",
     "data messages sent before detection (the denominator)"},
    {"attack.*.traffic.after",
     "data messages sent after detection (the denominator)"},
    {"attack.flooding.W.theory.base",
     "M/M/1 (or M/M/1/K) sojourn time at the SO without the flood"},
    {"attack.flooding.W.theory",
     "M/M/1 (or M/M/1/K) sojourn time at the SO under the flood"},
    {"attack.flooding.W",
     "measured mean sojourn time at the flooded SO"},
    {"attack.flooding.drop_fraction.theory.base",
     "M/M/1/K drop fraction without the flood"},
    {"attack.flooding.drop_fraction.theory",
     "M/M/1/K drop fraction under the flood"},
    {"attack.flooding.drop_fraction",
     "measured fraction of requests the flooded SO dropped"},
    {"attack.flooding.drops",
     "requests the flooded SO dropped"},
    {"attack.flooding.lambda.base",
     "arrival rate at the SO without the flood"},
    {"attack.flooding.lambda.flooded",
     "arrival rate at the SO with the flood"},
    {"attack.*.register.accepted",
     "injected registrations the SO accepted"},
    {"attack.*.register.rejected",
     "injected registrations the SO refused"},
    {"attack.*.accepted.made_up_key",
     "forgeries under a made-up key accepted (should be 0)"},
    {"attack.*.accepted.stolen_key",
     "forgeries under a compromised key accepted"},
    {"attack.*.injected.made_up_key",
     "forgeries injected under a made-up key"},
    {"attack.*.injected.stolen_key",
     "forgeries injected under a compromised key"},
    {"attack.*.rejected.made_up_key",
     "forgeries under a made-up key refused"},
    {"attack.*.rejected.stolen_key",
     "forgeries under a compromised key refused"},
    {"attack.*.control.*.accepted",
     "injected control messages of this type accepted by the receiver"},
    {"attack.*.control.*.rejected",
     "injected control messages of this type refused by the receiver"},
    {"attack.*.data.accepted",
     "injected data messages accepted by the receiver"},
    {"attack.*.data.rejected",
     "injected data messages refused by the receiver"},
    {"attack.*.publish.accepted",
     "injected publish messages accepted by the subscriber"},
    {"attack.*.publish.rejected",
     "injected publish messages refused by the subscriber"},
    {"attack.*.register_ack.accepted",
     "injected registration acks accepted by the source"},
    {"attack.*.register_ack.rejected",
     "injected registration acks refused by the source"},
    {"attack.*.injected",
     "messages the attacker injected"},
    {"attack.*.accepted",
     "injected messages the receiving node accepted (ground truth)"},
    {"attack.*.rejected",
     "injected messages the receiving node refused (ground truth)"},
    {"attack.*.lost",
     "injected messages lost before any node decided"},
    {"attack.*.skipped",
     "injections skipped (nothing to inject: no message or key to use)"},
    {"attack.tampering.tampered_clear",
     "messages with no sealed part tampered in a clear body byte"},
    {NULL, NULL},
};

/* --series (kmsim extension, issue 23): registers each reader's
 * attack.<kind>.ctl.read / .data.read / .payload.read (entity
 * "attack:K", counts of parts read, as its report counts them) as
 * series-only counters of m (ana_series_reg) and feeds them from then on. */
static void atk_run_series(atk_run *R, ana_metrics *m)
{
    static const char *const what[3] = {"ctl.read", "data.read",
                                        "payload.read"};

    for (size_t i = 0; i < R->n; i++) {
        attacker *A = &R->a[i];
        char name[128], entity[48];

        snprintf(entity, sizeof entity, "attack:%zu", i);
        for (int k = 0; k < 3; k++) {
            snprintf(name, sizeof name, "attack.%s.%s", kind_names[A->kind],
                     what[k]);
            A->ser[k] = atk_run_is_reader(A->kind)
                            ? ana_series_reg(m, name, entity, "msg",
                                             ANA_COUNTER)
                            : -1;
        }
    }
}

static void put(emitter *e, const char *what, const char *unit, double v)
{
    char name[128];
    snprintf(name, sizeof name, "attack.%s.%s", e->kind, what);
    ana_metric_set(e->m, ana_metric_reg(e->m, name, e->entity, unit,
                                        ANA_VALUE),
                   v);
}

static double frac(uint64_t a, uint64_t b)
{
    return b ? (double)a / (double)b : NAN;
}

static double secs(sim_time t)
{
    return t >= 0 ? sim_time_to_s(t) : NAN;
}

static int cls_cmp(const void *a, const void *b)
{
    uint32_t x = ((const cls_out *)a)->cls, y = ((const cls_out *)b)->cls;
    return (x > y) - (x < y);
}

static void put_exposure(emitter *e, const char *when, const atk_exposure *x)
{
    char n[64];
    snprintf(n, sizeof n, "links.%s", when);
    put(e, n, "link", (double)x->links);
    snprintf(n, sizeof n, "links.exposed.%s", when);
    put(e, n, "fraction", frac(x->exposed, x->links));
    snprintf(n, sizeof n, "links.exposed_clean.%s", when);
    put(e, n, "fraction", frac(x->exposed_clean, x->links_clean));
}

static void report_flooding(atk_run *R, attacker *A, emitter *e)
{
    const scenario *sc = sim_world_scenario(R->w);
    double mu = 1.0 / sim_dist_mean(&sc->so.service);

    for (uint32_t i = 0; i < A->n_nodes; i++) {
        uint32_t so = A->nodes[i], ord = SIM_NONE;
        sim_so_stats st;
        ana_queue q0, q1;
        double lam0, lam1, b0 = NAN, b1 = NAN;
        emitter f = *e;

        for (uint32_t k = 0; k < sim_world_n_so(R->w); k++) {
            sim_world_so_stats(R->w, k, &st);
            if (st.node == so) {
                ord = k;
                break;
            }
        }
        if (ord == SIM_NONE)
            continue;
        snprintf(f.entity, sizeof f.entity, "%s:so:%u", e->entity,
                 R->t->nodes[so].id);
        lam0 = st.lambda_theory;
        lam1 = lam0 + A->s->rate;
        if (sc->so.queue_capacity) {
            (void)ana_mm1k(lam0, mu, sc->so.queue_capacity, &q0, &b0);
            (void)ana_mm1k(lam1, mu, sc->so.queue_capacity, &q1, &b1);
        } else {
            (void)ana_mm1(lam0, mu, &q0);
            (void)ana_mm1(lam1, mu, &q1);
            b0 = b1 = 0.0;
        }
        put(&f, "lambda.base", "1/s", lam0);
        put(&f, "lambda.flooded", "1/s", lam1);
        put(&f, "W", "s", st.sojourn.n ? st.sojourn.mean : NAN);
        put(&f, "W.theory.base", "s", q0.W);
        put(&f, "W.theory", "s", q1.W);
        put(&f, "drops", "req", (double)st.drops);
        put(&f, "drop_fraction", "fraction", frac(st.drops, st.arrivals));
        put(&f, "drop_fraction.theory", "fraction", b1);
        put(&f, "drop_fraction.theory.base", "fraction", b0);
    }
}

/* End of run: every attacker's metrics into m. */
static void atk_run_report(atk_run *R, ana_metrics *m)
{
    void *ps;

    if (!R)
        return;
    ps = sim_world_proto_state(R->w);
    for (size_t i = 0; i < R->n; i++) {
        attacker *A = &R->a[i];
        emitter e = {m, kind_names[A->kind], ""};
        size_t learned = 0;

        snprintf(e.entity, sizeof e.entity, "attack:%zu", i);
        for (size_t k = 0; k < atk_kb_count(A->kb); k++)
            learned += atk_kb_from(A->kb, k) == A->idx;
        put(&e, "start", "s", secs(A->at));
        if (atk_run_is_reader(A->kind)) {
            put(&e, "seen", "msg", (double)A->seen);
            put(&e, "ctl.seen", "msg", (double)A->ctl_seen);
            put(&e, "ctl.read", "msg", (double)A->ctl_read);
            put(&e, "data.seen", "msg", (double)A->data_seen);
            put(&e, "data.read", "msg", (double)A->data_read);
            put(&e, "payload.seen", "msg", (double)A->app_seen);
            put(&e, "payload.read", "msg", (double)A->app_read);
            put(&e, "read.late", "part", (double)A->late);
            put(&e, "first_read", "s", secs(A->first_read));
            put(&e, "unrecorded", "msg", (double)A->unrecorded);
        }
        if (A->kind != SCN_ATK_FLOODING && A->kind != SCN_ATK_TAMPERING &&
            A->kind != SCN_ATK_REPLAY && A->kind != SCN_ATK_FORGERY) {
            put(&e, "keys.learned", "key", (double)learned);
            put(&e, "enabled.reads", "part", (double)(A->en_ctl + A->en_data));
            put(&e, "enabled.first", "s", secs(A->en_first));
            put(&e, "enabled.last", "s", secs(A->en_last));
            put(&e, "exposure_window", "s",
                A->en_last >= 0 ? secs(A->en_last - A->at) : 0.0);
        }
        if (atk_run_is_window(A->kind)) {
            put(&e, "nodes", "node", (double)A->n_nodes);
            put(&e, "detection", "s",
                A->detect >= 0 ? secs(A->detect - A->at) : NAN);
            put(&e, "reaction.told", "node", (double)A->told);
            put(&e, "traffic.before", "msg", (double)A->tr_before);
            put(&e, "traffic.readable.before", "fraction",
                frac(A->tr_before_read, A->tr_before));
            put(&e, "traffic.after", "msg", (double)A->tr_after);
            put(&e, "traffic.readable.after", "fraction",
                frac(A->tr_after_read, A->tr_after));
            put(&e, "enabled.after_detection", "part", (double)A->en_after);
            put(&e, "recovery", "s",
                A->detect < 0 ? NAN
                : A->last_readable >= 0 ? secs(A->last_readable - A->detect)
                                        : 0.0);
            if (A->have_exp)
                put_exposure(&e, "at_capture", &A->exp_now);
            if (R->hooks->atk_exposure) {
                atk_exposure x;
                sim_world_exempt(R->w, "ground-truth exposure");
                R->hooks->atk_exposure(R->w, ps, A->kb, &x);
                sim_world_exempt_end(R->w);
                put_exposure(&e, "end", &x);
            }
        }
        if (A->kind == SCN_ATK_GLOBAL_KEY_LEAK)
            put(&e, "leaked", "key", A->leak_id >= 0 ? 1.0 : 0.0);
        if (A->kind == SCN_ATK_REPLAY || A->kind == SCN_ATK_FORGERY ||
            A->kind == SCN_ATK_TAMPERING || A->kind == SCN_ATK_INSIDER ||
            A->kind == SCN_ATK_FLOODING) {
            put(&e, "injected", "msg", (double)A->injected);
            put(&e, "accepted", "msg", (double)A->accepted);
            put(&e, "rejected", "msg", (double)A->rejected);
            put(&e, "lost", "msg",
                (double)(A->injected - A->accepted - A->rejected));
            put(&e, "skipped", "msg", (double)A->skipped);
            if (A->kind == SCN_ATK_TAMPERING)
                put(&e, "tampered_clear", "msg", (double)A->tampered_clear);
            if (A->kind == SCN_ATK_FORGERY) {
                put(&e, "injected.stolen_key", "msg", (double)A->inj_stolen);
                put(&e, "accepted.stolen_key", "msg", (double)A->acc_stolen);
                put(&e, "rejected.stolen_key", "msg", (double)A->rej_stolen);
                put(&e, "injected.made_up_key", "msg", (double)A->inj_made);
                put(&e, "accepted.made_up_key", "msg", (double)A->acc_made);
                put(&e, "rejected.made_up_key", "msg", (double)A->rej_made);
            }
            if (A->n_cls)         /* qsort(NULL, 0, ...) is undefined */
                qsort(A->cls, A->n_cls, sizeof *A->cls, cls_cmp);
            for (size_t k = 0; k < A->n_cls; k++) {
                char n[64];
                uint32_t c = A->cls[k].cls;
                const char *tn = sim_pkt_type_name(
                    (sim_pkt_type)((c & ~ATK_CLS_STOLEN) >> 8));
                const char *st = c & ATK_CLS_STOLEN ? "stolen_key." : "";
                if (c & 0xffu)
                    snprintf(n, sizeof n, "%s.%s%u.accepted", tn, st,
                             c & 0xffu);
                else
                    snprintf(n, sizeof n, "%s.%saccepted", tn, st);
                put(&e, n, "msg", (double)A->cls[k].acc);
                memcpy(n + strlen(n) - strlen("accepted"), "rejected", 9);
                put(&e, n, "msg", (double)A->cls[k].rej);
            }
        }
        if (A->kind == SCN_ATK_FLOODING)
            report_flooding(R, A, &e);
    }
    {
        /* Over every base of the run: the coalition's and each separate
         * attacker's (a value two bases hold counts twice); captured:
         * nodes captured by any attacker. */
        emitter e = {m, "all", "attack:all"};
        size_t keys = atk_kb_count_kind(R->kb, ATK_KEY),
               mat = atk_kb_count_kind(R->kb, ATK_MATERIAL);
        uint64_t opens = atk_kb_ops(R->kb)->n[CRY_OP_OPEN];
        uint32_t captured = 0;
        for (size_t i = 0; i < R->n; i++) {
            atk_kb *kb = R->a[i].kb;
            if (kb == R->kb)
                continue;
            keys += atk_kb_count_kind(kb, ATK_KEY);
            mat += atk_kb_count_kind(kb, ATK_MATERIAL);
            opens += atk_kb_ops(kb)->n[CRY_OP_OPEN];
        }
        for (uint32_t v = 0; v < R->t->n_nodes; v++) {
            int c = atk_kb_captured(R->kb, v);
            for (size_t i = 0; !c && i < R->n; i++)
                c = atk_kb_captured(R->a[i].kb, v);
            captured += (uint32_t)c;
        }
        put(&e, "kb.keys", "key", (double)keys);
        put(&e, "kb.material", "item", (double)mat);
        put(&e, "captured", "node", (double)captured);
        put(&e, "crypto.open", "op", (double)opens);
    }
}

/* ------------------------------------------------------------------------
 * The world's observer
 * ---------------------------------------------------------------------- */

static void obs_outcome(void *ctx, uint32_t who, uint32_t cls, int accepted,
                        int moved)
{
    atk_outcome(ctx, who, cls, accepted, moved);
}

static void obs_report(void *ctx, ana_metrics *m)
{
    atk_run_report(ctx, m);
}

static void obs_series(void *ctx, ana_metrics *m)
{
    atk_run_series(ctx, m);
}

static void obs_free(void *ctx)
{
    atk_run_free(ctx);
}

static const sim_world_obs atk_obs = {
    .outcome = obs_outcome,
    .report = obs_report,
    .series = obs_series,
    .free = obs_free,
};

int atk_attach(sim_world *w, const atk_proto_hooks *hooks, char *err,
               size_t errlen)
{
    atk_run *R;
    int rc;

    /* Every refusal before touching w: it stays as it was, usable. */
    if (atk_run_of(w)) {
        snprintf(err, errlen, "the attackers are already attached");
        return -1;
    }
    if (sim_world_scenario(w)->n_attackers == 0)
        return 0;                 /* nothing to wire: no observer */
    if (sim_world_observable(w, err, errlen) != 0)
        return -1;
    sim_world_exempt(w, "world set-up");   /* locality exception */
    rc = atk_run_new(w, hooks, &R, err, errlen);
    sim_world_exempt_end(w);
    if (rc != 0 || !R)
        return rc;
    /* Cannot fail: w was observable and nothing ran since (atk_run_new
     * only adds the tap and schedules); a failure here would leave the
     * tap and the events in w, so it is a programming error. */
    if (sim_world_observe(w, &atk_obs, R, err, errlen) != 0) {
        fprintf(stderr, "atk_attach: %s\n", err);
        abort();
    }
    return 0;
}

atk_run *atk_run_of(sim_world *w)
{
    return sim_world_observer(w, &atk_obs);
}
