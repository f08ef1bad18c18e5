/* attack_int.h — private to attack*.c; not for other modules.
 * What the two halves of the attacker runner share: the attacker records
 * and the runner (struct atk_run), and the functions one half defines and
 * the other calls.  attack.c: the attacker types at work (decoding, the
 * tap, the actions); attack_run.c: the runner's set-up and life cycle,
 * outcomes and the report. */
#ifndef KMSIM_ATTACK_INT_H
#define KMSIM_ATTACK_INT_H

#include <stddef.h>
#include <stdint.h>
#include <gsl/gsl_rng.h>
#include "attack.h"
#include "kb.h"
#include "atk_hooks.h"
#include "world.h"
#include "hooks.h"
#include "wire.h"

#define REC_MAX_BYTES (256u << 20)  /* recorded bytes per attacker        */
#define INJECT_MAX 100000u          /* messages an attacker injects       */
#define RECENT 16u                  /* key names remembered for forgery  */

/* A message a reader could not read whole, kept for later. */
typedef struct rec {
    unsigned char *b;
    uint32_t len, from, to;
    size_t tried;            /* base entries tried on it so far            */
    uint8_t need;            /* bit 0: control part unread, 1: data part   */
} rec;

/* A stored message for replay. */
typedef struct replay_msg {
    unsigned char *b;
    uint32_t len, from, to, cls;
} replay_msg;

/* Outcomes per message class (type << 8 | control type). */
typedef struct cls_out {
    uint32_t cls;
    uint64_t acc, rej;
} cls_out;

typedef struct attacker {
    const scn_attacker *s;
    uint32_t idx;
    int kind;
    atk_kb *kb;              /* its base: R->kb (coalition) or its own     */
    sim_time at;             /* when it acts (sampled)                     */
    sim_time detect;         /* at + detection, or -1: never detected      */
    uint8_t *cover;          /* per link: covered (readers, replay, tamper)*/
    uint32_t *nodes;         /* targets (capture, insider, flooding)       */
    uint32_t n_nodes;
    /* reading */
    uint64_t seen, ctl_seen, ctl_read, data_seen, data_read, late;
    uint64_t app_seen, app_read;  /* data parts of DATA and PUBLISH      */
    sim_time first_read;     /* -1: nothing read yet                       */
    int ser[3];              /* --series: ctl.read, data.read, payload.read */
                             /*   series ids (atk_run_series), -1: none    */
    rec *rec;
    size_t n_rec, cap_rec, rec_bytes;
    uint64_t unrecorded;
    /* reads its knowledge enabled, anyone's */
    uint64_t en_ctl, en_data, en_after;
    sim_time en_first, en_last;
    /* network data readable with the base (captures, leaks) */
    uint64_t tr_before, tr_before_read, tr_after, tr_after_read;
    sim_time last_readable;  /* after detection, -1: none                  */
    atk_exposure exp_now;
    int have_exp;
    int64_t leak_id;
    long told;               /* nodes the protocol's reaction told         */
    /* injection */
    uint64_t injected, accepted, rejected, tampered_clear, skipped;
    cls_out *cls;
    size_t n_cls;
    uint32_t budget;         /* messages it may still inject / alter       */
    replay_msg *rp;
    size_t n_rp, next_rp;
    uint64_t forged;         /* forgery: messages made so far              */
    /* forgery: outcomes by key origin (ATK_CLS_STOLEN in the class) */
    uint64_t inj_stolen, acc_stolen, rej_stolen;
    uint64_t inj_made, acc_made, rej_made;
    uint64_t made_up;        /* forgery: made-up-key messages so far       */
} attacker;

/* Class bit of a forgery sealed with a compromised key (held by the
 * coalition: captured, leaked, learned), kept apart in the report. */
#define ATK_CLS_STOLEN (1u << 31)

struct atk_run {
    sim_world *w;
    const scn_proto_ops *ops;
    const atk_proto_hooks *hooks;  /* the protocol's adversary interface
                                    * (atk_attach; never NULL here)     */
    const sim_topo *t;
    atk_kb *kb;              /* the coalition's base                       */
    attacker *a;
    size_t n;
    sim_pkt *scratch;        /* decode buffer (never the world's pool)     */
    int readers, windows;    /* any reader / any capture or leak           */
    uint64_t recent[RECENT]; /* key names seen on the air (forgery)        */
    uint32_t recent_sess[RECENT];
    uint32_t n_recent;
    int retrying;
};

/* Defined in attack.c, called from attack_run.c: attacker kinds, an
 * attacker's random stream, the tap and the scheduled events. */
int atk_run_is_reader(int kind);
int atk_run_is_window(int kind);
gsl_rng *atk_run_arng(atk_run *R, const attacker *A);
sim_tap_verdict atk_run_tap(void *ctx, sim_world *w, uint32_t link,
                            uint32_t from, uint32_t to, sim_pkt *p);
void atk_run_ev_detect(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                       void *arg, uint64_t u64);
void atk_run_ev_start(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                      void *arg, uint64_t u64);

#endif
