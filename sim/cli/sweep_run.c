/* sweep_run.c — kmsim sweep, the running half: local worker processes
 * (and MPI ranks), the coordinator that hands out points and appends
 * their records to the journal, and the result files assembled from the
 * journal in expansion order.  Expansion and the journal itself are in
 * sweep.c (see its top comment); both share sweep_int.h. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#ifdef KMSIM_MPI
#include <mpi.h>
#endif
#include "sweep.h"
#include "db.h"
#include "estimate.h"
#include "run.h"
#include "health.h"
#include "prov.h"
#include "scenario.h"
#include "proto.h"
#include "world.h"
#include "metrics.h"
#include "csv.h"
#include "cry.h"
#include "units.h"
#include "util.h"
#include "sweep_int.h"


/* ---- local worker processes --------------------------------------------- */

typedef struct slot {
    pid_t pid;               /* 0: none                                   */
    int fd;
    size_t point;            /* SIZE_MAX: idle                            */
#ifdef KMSIM_MPI
    int rank;                /* > 0: a remote rank, not a process         */
#endif
} slot;

static void worker_loop(sim_sweep *s, int fd)
{
    xbuf b = {NULL, 0, 0};

    for (;;) {
        uint64_t idx, len;
        if (sweep_read_all(fd, &idx, sizeof idx) != 1 || idx >= s->n_points)
            break;
        sweep_point_record(s, (size_t)idx, &b);
        len = b.n;
        if (sweep_write_all(fd, &len, sizeof len) != 0 ||
            sweep_write_all(fd, b.p, b.n) != 0)
            break;
    }
    free(b.p);
}

/* Starts a worker in slot k (closing, in the child, every other slot's
 * descriptor so a worker sees the end of its own socket).  0 or -1. */
static int slot_spawn(sim_sweep *s, slot *slots, size_t n, size_t k)
{
    int sv[2];
    pid_t pid;

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return -1;
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    if (pid == 0) {
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
        close(sv[0]);
        for (size_t i = 0; i < n; i++)
            if (slots[i].pid > 0)
                close(slots[i].fd);
        if (s->jfd >= 0)
            close(s->jfd);
        if (s->lfd >= 0)
            close(s->lfd);
        worker_loop(s, sv[1]);
        close(sv[1]);
        _exit(0);
    }
    close(sv[1]);
    slots[k].pid = pid;
    slots[k].fd = sv[0];
    slots[k].point = SIZE_MAX;
    return 0;
}

static void slot_stop(slot *sl, int sig)
{
    if (sl->pid <= 0)
        return;
    close(sl->fd);
    if (sig)
        kill(sl->pid, sig);
    while (waitpid(sl->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    sl->pid = 0;
    sl->fd = -1;
}

/* Why a worker ended, as one phrase. */
static void death_text(pid_t pid, char *out, size_t len)
{
    int st = 0;
    pid_t r;

    while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
        ;
    if (r < 0)
        snprintf(out, len, "worker lost");
    else if (WIFSIGNALED(st))
        snprintf(out, len, "worker killed by signal %d (%s)", WTERMSIG(st),
                 strsignal(WTERMSIG(st)));
    else
        snprintf(out, len, "worker exited with status %d",
                 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* ---- the coordinator ---------------------------------------------------- */

static void point_label(const sim_sweep *s, size_t idx, char *out,
                        size_t len)
{
    sim_sweep_point pt;
    size_t used;

    sim_sweep_point_info(s, idx, &pt);
    used = (size_t)snprintf(out, len, "point %zu (protocol=%s", idx,
                            pt.protocol);
    for (size_t j = 0; j < s->n_axes && used < len; j++)
        if (!s->axes[j].is_protocol)
            used += (size_t)snprintf(out + used, len - used, " %s=%s",
                                     s->axes[j].path,
                                     s->axes[j].values[s->cfgs[pt.config]
                                                           .vi[j]]);
    if (used < len)
        snprintf(out + used, len - used, ", replication %u)", pt.replication);
}

static void progress(const sim_sweep *s, double t0, int final)
{
    size_t fin = s->n_done + s->n_failed, left = s->n_sel - s->n_skipped - fin;
    double dt = sweep_wall_now() - t0, rate = dt > 0 ? fin / dt : 0;

    if (final) {
        fprintf(stderr, "\r\033[K");
        return;
    }
    fprintf(stderr, "\r\033[Ksweep %zu/%zu points  %.2f points/s", 
            s->n_skipped + fin, s->n_sel, rate);
    if (rate > 0)
        fprintf(stderr, "  ETA %.0f s", left / rate);
    if (s->n_failed)
        fprintf(stderr, "  %zu failed", s->n_failed);
}

/* 1 once SIGINT/SIGTERM asked the sweep to stop. */
static int stopping(const sim_sweep *s)
{
    return s->o->stop && *s->o->stop;
}

/* A record arrived for point idx. */
static int on_record(sim_sweep *s, size_t idx, const char *p, size_t n,
                     char *err, size_t errlen)
{
    char label[512];

    if (n >= 2 && p[0] == 'F' && p[1] == ' ') {
        /* A worker that got the same SIGINT/SIGTERM (the terminal's
         * process group) reports its point interrupted: not a failure,
         * the point just is not done. */
        if (stopping(s))
            return 0;
        point_label(s, idx, label, sizeof label);
        fprintf(stderr, "kmsim: %s failed: %.*s", label, (int)(n - 2), p + 2);
        if (p[n - 1] != '\n')
            fputc('\n', stderr);
        s->n_failed++;
        return 0;
    }
    if (sweep_journal_append(s, idx, p, n, err, errlen) != 0)
        return -1;
    s->n_done++;
    return 0;
}

static void on_death(sim_sweep *s, slot *sl)
{
    char why[128], label[512];

    death_text(sl->pid, why, sizeof why);
    close(sl->fd);
    sl->pid = 0;
    sl->fd = -1;
    if (sl->point != SIZE_MAX && stopping(s)) {
        sl->point = SIZE_MAX;    /* killed by the same signal: not done */
    } else if (sl->point != SIZE_MAX) {
        point_label(s, sl->point, label, sizeof label);
        fprintf(stderr, "kmsim: %s failed: %s\n", label, why);
        s->n_failed++;
        sl->point = SIZE_MAX;
    }
}

#ifdef KMSIM_MPI
enum { TAG_POINT = 1, TAG_RECORD = 2 };

static int mpi_size(void)
{
    int init = 0, n = 1;
    MPI_Initialized(&init);
    if (init)
        MPI_Comm_size(MPI_COMM_WORLD, &n);
    return n;
}
#endif

/* Runs the selected points not yet done.  0, or -1 on an I/O error. */
static int coordinate(sim_sweep *s, char *err, size_t errlen)
{
    const sim_sweep_opts *o = s->o;
    size_t n_local = o->jobs ? o->jobs : 1, n_slots = n_local, next = 0;
    size_t todo = 0;
    slot *slots;
    xbuf b = {NULL, 0, 0};
    double t0 = sweep_wall_now(), last = 0;
    int rc = 0, remote = 0;

    for (size_t i = 0; i < s->n_points; i++)
        todo += s->sel[i] && s->done[i].len == 0;
    if (todo < n_local)
        n_local = n_slots = todo;
#ifdef KMSIM_MPI
    remote = mpi_size() - 1;
    n_slots += (size_t)remote;
    s->n_ranks = (size_t)remote + 1;
#endif
    slots = xcalloc(n_slots ? n_slots : 1, sizeof *slots);
    for (size_t k = 0; k < n_slots; k++) {
        slots[k].point = SIZE_MAX;
        slots[k].fd = -1;
#ifdef KMSIM_MPI
        if (k >= n_local)
            slots[k].rank = (int)(k - n_local) + 1;
#endif
    }
    for (;;) {
        struct pollfd *pf;
        size_t busy = 0, np = 0;

        if (o->stop && *o->stop) {
            s->interrupted = 1;
            break;
        }
        /* hand out points to idle slots */
        for (size_t k = 0; k < n_slots; k++) {
            uint64_t idx;
            if (slots[k].point != SIZE_MAX) {
                busy++;
                continue;
            }
            while (next < s->n_points &&
                   (!s->sel[next] || s->done[next].len))
                next++;
            if (next == s->n_points || (o->fail_fast && s->n_failed))
                continue;
            idx = next;
#ifdef KMSIM_MPI
            if (slots[k].rank > 0) {
                MPI_Send(&idx, 1, MPI_UINT64_T, slots[k].rank, TAG_POINT,
                         MPI_COMM_WORLD);
                slots[k].point = next++;
                busy++;
                continue;
            }
#endif
            if (slots[k].pid <= 0 && slot_spawn(s, slots, n_slots, k) != 0) {
                snprintf(err, errlen, "cannot start a worker: %s",
                         strerror(errno));
                rc = -1;
                goto out;
            }
            if (sweep_write_all(slots[k].fd, &idx, sizeof idx) != 0) {
                on_death(s, &slots[k]);
                continue;         /* the point is retried by a new worker */
            }
            slots[k].point = next++;
            busy++;
        }
        if (busy == 0)
            break;
        pf = xcalloc(n_slots, sizeof *pf);
        for (size_t k = 0; k < n_local; k++)
            if (slots[k].point != SIZE_MAX) {
                pf[np].fd = slots[k].fd;
                pf[np].events = POLLIN;
                np++;
            }
        /* Bounded even without a progress line: a signal that lands
         * between the stop check above and poll() is seen within 250 ms
         * instead of when the next point ends. */
        if (poll(pf, np, remote ? 2 : 250) < 0 &&
            errno != EINTR) {
            snprintf(err, errlen, "poll: %s", strerror(errno));
            free(pf);
            rc = -1;
            goto out;
        }
        free(pf);
        for (size_t k = 0; k < n_local; k++) {
            struct pollfd q = {slots[k].fd, POLLIN, 0};
            uint64_t len;
            int r;

            if (slots[k].point == SIZE_MAX || poll(&q, 1, 0) <= 0)
                continue;
            r = sweep_read_all(slots[k].fd, &len, sizeof len);
            if (r == 1 && len <= MAX_RECORD) {
                if (len + 1 > b.cap) {
                    b.cap = len + 1;
                    b.p = xrealloc(b.p, b.cap);
                }
                r = len ? sweep_read_all(slots[k].fd, b.p, len) : 1;
            } else {
                r = -1;
            }
            if (r != 1) {
                on_death(s, &slots[k]);
                continue;
            }
            if (on_record(s, slots[k].point, b.p, len, err, errlen) != 0) {
                rc = -1;
                goto out;
            }
            slots[k].point = SIZE_MAX;
        }
#ifdef KMSIM_MPI
        for (;;) {
            int flag = 0, count;
            MPI_Status st;
            MPI_Iprobe(MPI_ANY_SOURCE, TAG_RECORD, MPI_COMM_WORLD, &flag,
                       &st);
            if (!flag)
                break;
            MPI_Get_count(&st, MPI_CHAR, &count);
            if ((size_t)count + 1 > b.cap) {
                b.cap = (size_t)count + 1;
                b.p = xrealloc(b.p, b.cap);
            }
            MPI_Recv(b.p, count, MPI_CHAR, st.MPI_SOURCE, TAG_RECORD,
                     MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            for (size_t k = n_local; k < n_slots; k++)
                if (slots[k].rank == st.MPI_SOURCE &&
                    slots[k].point != SIZE_MAX) {
                    if (on_record(s, slots[k].point, b.p, (size_t)count, err,
                                  errlen) != 0) {
                        rc = -1;
                        goto out;
                    }
                    s->n_remote++;
                    slots[k].point = SIZE_MAX;
                }
        }
#endif
        if (o->progress && sweep_wall_now() - last >= 0.25) {
            progress(s, t0, 0);
            last = sweep_wall_now();
        }
    }
out:
    if (o->progress)
        progress(s, t0, 1);
    for (size_t k = 0; k < n_local; k++)
        slot_stop(&slots[k], s->interrupted || rc ? SIGKILL : 0);
#ifdef KMSIM_MPI
    /* every remote rank: finish its point (dropped if interrupted), then
     * the stop message */
    for (size_t k = n_local; k < n_slots; k++) {
        uint64_t stop = UINT64_MAX;
        if (slots[k].point != SIZE_MAX) {
            MPI_Status st;
            int count;
            MPI_Probe(slots[k].rank, TAG_RECORD, MPI_COMM_WORLD, &st);
            MPI_Get_count(&st, MPI_CHAR, &count);
            if ((size_t)count + 1 > b.cap) {
                b.cap = (size_t)count + 1;
                b.p = xrealloc(b.p, b.cap);
            }
            MPI_Recv(b.p, count, MPI_CHAR, slots[k].rank, TAG_RECORD,
                     MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            if (rc == 0 && !s->interrupted) {
                if (on_record(s, slots[k].point, b.p, (size_t)count, err,
                              errlen) != 0)
                    rc = -1;
                s->n_remote++;
            }
        }
        MPI_Send(&stop, 1, MPI_UINT64_T, slots[k].rank, TAG_POINT,
                 MPI_COMM_WORLD);
    }
#endif
    free(slots);
    free(b.p);
    return rc;
}

#ifdef KMSIM_MPI
/* A rank other than 0: runs the points it is sent in a local worker
 * process and sends each record back, until the stop message. */
static void serve(sim_sweep *s)
{
    slot sl = {0, -1, SIZE_MAX, 0};
    xbuf b = {NULL, 0, 0};

    for (;;) {
        uint64_t idx, len;
        int r;
        MPI_Recv(&idx, 1, MPI_UINT64_T, 0, TAG_POINT, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        if (idx >= s->n_points)
            break;
        b.n = 0;
        if (sl.pid <= 0 && slot_spawn(s, &sl, 1, 0) != 0) {
            xbuf_printf(&b, "F cannot start a worker: %s\n", strerror(errno));
        } else if (sweep_write_all(sl.fd, &idx, sizeof idx) != 0 ||
                   (r = sweep_read_all(sl.fd, &len, sizeof len)) != 1 ||
                   len > MAX_RECORD) {
            char why[128];
            death_text(sl.pid, why, sizeof why);
            close(sl.fd);
            sl.pid = 0;
            xbuf_printf(&b, "F %s\n", why);
        } else {
            if (len + 1 > b.cap) {
                b.cap = len + 1;
                b.p = xrealloc(b.p, b.cap);
            }
            if (len && sweep_read_all(sl.fd, b.p, len) != 1) {
                char why[128];
                death_text(sl.pid, why, sizeof why);
                close(sl.fd);
                sl.pid = 0;
                b.n = 0;
                xbuf_printf(&b, "F %s\n", why);
            } else {
                b.n = len;
            }
        }
        MPI_Send(b.p ? b.p : "", (int)b.n, MPI_CHAR, 0, TAG_RECORD,
                 MPI_COMM_WORLD);
    }
    slot_stop(&sl, 0);
    free(b.p);
}
#endif

/* ---- the result files --------------------------------------------------- */

/* Parses a record and writes its rows; adds its values to res and its
 * histogram buckets to hists. */
static int emit_point(const sim_sweep *s, size_t idx, const scenario *sc,
                      const char *hash, char *p, ana_csv *runs,
                      ana_csv *reps, ana_csv *series, ana_results *res,
                      ana_hists *hists, size_t *rows)
{
    char *line = strchr(p, '\n'), *q, fp[2 * CRY_HASH_BYTES + 1];
    unsigned char key[KEY_BYTES];
    unsigned rep;
    unsigned long long seed, events;
    double end_s;

    if (!line || sweep_payload_key(p, (size_t)(line + 1 - p), key) != 0 ||
        memcmp(key, s->keys + idx * KEY_BYTES, KEY_BYTES) != 0 ||
        sscanf(line + 1, "R %u %llu %llu %lf %64s", &rep, &seed, &events,
               &end_s, fp) != 5)
        return -1;
    sim_run_reps_row(reps, sc, hash, rep, seed, events, end_s, fp);
    q = strchr(line + 1, '\n');
    while (q && q[1] == 'M' && q[2] == ' ') {
        char *name = q + 3, *entity, *unit, *val, *next;
        double v;
        entity = sweep_field_end(name);
        unit = entity ? sweep_field_end(entity) : NULL;
        val = unit ? sweep_field_end(unit) : NULL;
        if (!val)
            return -1;
        v = strtod(val, &next);
        if (next == val || (*next != '\n' && *next != '\0'))
            return -1;
        sim_run_runs_row(runs, sc, hash, rep, seed, name, entity, unit, v);
        ana_results_add(res, rep, name, entity, unit, v);
        (*rows)++;
        q = *next ? next : NULL;
    }
    while (q && q[1] == 'S' && q[2] == ' ') {   /* --series */
        char *f = q + 3, *name, *entity, *unit, *stat, *val, *next;
        long long t0, t1;
        double v;

        t0 = strtoll(f, &next, 10);
        if (next == f || *next != ' ')
            return -1;
        f = next + 1;
        t1 = strtoll(f, &next, 10);
        if (next == f || *next != ' ')
            return -1;
        name = next + 1;
        entity = sweep_field_end(name);
        unit = entity ? sweep_field_end(entity) : NULL;
        stat = unit ? sweep_field_end(unit) : NULL;
        val = stat ? sweep_field_end(stat) : NULL;
        if (!val)
            return -1;
        v = strtod(val, &next);
        if (next == val || (*next != '\n' && *next != '\0'))
            return -1;
        if (series)
            sim_run_series_row(series, sc, hash, rep, seed, t0, t1, name,
                               entity, unit, stat, v);
        q = *next ? next : NULL;
    }
    while (q && q[1] == 'H' && q[2] == ' ') {
        char *name = q + 3, *entity, *unit, *val, *next;
        unsigned long long bucket;
        double c;
        entity = sweep_field_end(name);
        unit = entity ? sweep_field_end(entity) : NULL;
        val = unit ? sweep_field_end(unit) : NULL;
        if (!val)
            return -1;
        for (;;) {                  /* "bucket count" pairs */
            if (*val < '0' || *val > '9')
                return -1;
            bucket = strtoull(val, &next, 10);
            if (*next != ' ')
                return -1;
            val = next + 1;
            c = strtod(val, &next);
            if (next == val || bucket >= ANA_HIST_BUCKETS ||
                ana_hists_add(hists, name, entity, unit, (size_t)bucket,
                              c) != 0)
                return -1;
            if (*next != ' ')
                break;
            val = next + 1;
        }
        if (*next != '\n' && *next != '\0')
            return -1;
        q = *next ? next : NULL;
    }
    return 0;
}

/* The health warnings (health.h) of configuration ci, over the
 * replications in res, prefixed by its swept values (kmsim extension). */
static void config_health(sim_sweep *s, size_t ci, const ana_results *res)
{
    const config *c = &s->cfgs[ci];
    char what[512];
    size_t n;
    int nw;

    n = (size_t)snprintf(what, sizeof what, "configuration %zu", ci);
    for (size_t i = 0, k = 0; i < c->n_ovr && n < sizeof what; i++)
        if (c->labels[i])
            n += (size_t)snprintf(what + n, sizeof what - n, "%s%s",
                                  k++ ? ", " : " (", c->ovr[i]);
    if (strchr(what, '(') && n < sizeof what - 1)
        snprintf(what + n, sizeof what - n, ")");
    nw = sim_health_warn(res, what, stderr);
    if (s->o->warnings)
        *s->o->warnings += nw;
}

/* Writes runs.csv, summary.csv and replications.csv of every point of the
 * expansion found in the journal, in point order. */
static int write_results(sim_sweep *s, size_t *rows_out, char *err,
                         size_t errlen)
{
    char *p_runs, *p_sum, *p_reps, *p_ser, *p_hist;
    ana_csv *runs = NULL, *sum = NULL, *reps = NULL, *prov = NULL;
    ana_csv *ser = NULL;      /* --series */
    ana_csv *hist = NULL;
    size_t dlen = strlen(s->dir) + 32, rows = 0;
    int rc = -1;

    p_runs = xmalloc(dlen);
    p_sum = xmalloc(dlen);
    p_reps = xmalloc(dlen);
    p_hist = xmalloc(dlen);
    snprintf(p_hist, dlen, "%s/histograms.csv", s->dir);
    snprintf(p_runs, dlen, "%s/runs.csv", s->dir);
    snprintf(p_sum, dlen, "%s/summary.csv", s->dir);
    snprintf(p_reps, dlen, "%s/replications.csv", s->dir);
    p_ser = xmalloc(dlen);
    snprintf(p_ser, dlen, "%s/series.csv", s->dir);
    runs = ana_csv_open(p_runs, err, errlen);
    sum = runs ? ana_csv_open(p_sum, err, errlen) : NULL;
    reps = sum ? ana_csv_open(p_reps, err, errlen) : NULL;
    hist = reps ? ana_csv_open(p_hist, err, errlen) : NULL;
    if (!hist)
        goto out;
    if (s->o->series > 0 && !(ser = ana_csv_open(p_ser, err, errlen)))
        goto out;
    if (s->o->argv) {      /* run.yaml: the command line, file, --set, --vary */
        const sim_sweep_opts *o = s->o;
        sim_prov p = {o->argc, o->argv, o->file, o->sets, o->n_sets,
                      o->varies, o->n_varies, 0, NULL, 0, 0, NULL};
        static const char *const none[1] = {NULL};

        if (!p.varies)
            p.varies = none;  /* an empty `vary:` list: this is a sweep */
        prov = sim_prov_open(s->dir, &p, err, errlen);
        if (!prov)
            goto out;
    }
    for (size_t ci = 0; ci < s->n_configs; ci++) {
        const config *c = &s->cfgs[ci];
        char hash[2 * CRY_HASH_BYTES + 1];
        ana_results *res;
        ana_hists *hists;
        scenario *sc;
        size_t have = 0;

        for (uint32_t r = 0; r < c->reps; r++)
            have += s->done[c->first + r].len != 0;
        if (have == 0 && ci != 0)
            continue;
        sc = sweep_config_load(s, c, err, errlen);
        if (!sc)
            goto out;
        if (ci == 0) {     /* every configuration has the same columns */
            sim_run_csv_header(runs, sc, SIM_RUN_CSV_RUNS);
            sim_run_csv_header(sum, sc, SIM_RUN_CSV_SUMMARY);
            sim_run_csv_header(reps, sc, SIM_RUN_CSV_REPLICATIONS);
            if (ser)
                sim_run_series_header(ser, sc);
            sim_run_csv_header(hist, sc, SIM_RUN_CSV_HISTOGRAMS);
        }
        cry_hex(hash, sc->hash, CRY_HASH_BYTES);
        res = ana_results_new();
        hists = ana_hists_new();
        for (uint32_t r = 0; r < c->reps; r++) {
            const rec_loc *l = &s->done[c->first + r];
            char *p;
            if (l->len == 0)
                continue;
            p = xmalloc(l->len + 1);
            if (pread(s->jfd, p, l->len, l->off) != (ssize_t)l->len) {
                snprintf(err, errlen, "%s/sweep.journal: cannot read: %s",
                         s->qdir, strerror(errno));
                free(p);
                ana_results_free(res);
                ana_hists_free(hists);
                scn_free(sc);
                goto out;
            }
            p[l->len] = '\0';
            if (emit_point(s, c->first + r, sc, hash, p, runs, reps, ser,
                           res, hists, &rows) != 0) {
                snprintf(err, errlen, "%s/sweep.journal: a damaged record "
                         "(point %zu); remove the journal and rerun",
                         s->qdir, (size_t)(c->first + r));
                free(p);
                ana_results_free(res);
                ana_hists_free(hists);
                scn_free(sc);
                goto out;
            }
            free(p);
        }
        sim_run_hist_rows(hist, sc, hash, hists, NULL);
        ana_hists_free(hists);
        if (have) {
            sim_run_summary_rows(sum, sc, hash, res, (uint32_t)have, NULL);
            config_health(s, ci, res);
        }
        ana_results_free(res);
        scn_free(sc);
    }
    if (ana_csv_seal(runs, err, errlen) != 0 ||
        ana_csv_seal(sum, err, errlen) != 0 ||
        ana_csv_seal(reps, err, errlen) != 0 ||
        (ser && ana_csv_seal(ser, err, errlen) != 0) ||
        ana_csv_seal(hist, err, errlen) != 0 ||
        (prov && ana_csv_seal(prov, err, errlen) != 0))
        goto out;
    if (stopping(s)) {
        snprintf(err, errlen, "interrupted while writing the results; the "
                 "points are in %s/sweep.journal: run the same command again "
                 "to write them", s->qdir);
        goto out;
    }
    rc = ana_csv_commit(runs, err, errlen);
    runs = NULL;
    rc |= ana_csv_commit(sum, err, errlen);
    sum = NULL;
    rc |= ana_csv_commit(reps, err, errlen);
    reps = NULL;
    if (ser) {
        rc |= ana_csv_commit(ser, err, errlen);
        ser = NULL;
    } else if (remove(p_ser) != 0 && errno != ENOENT) {
        snprintf(err, errlen, "%s: cannot remove stale file: %s", p_ser,
                 strerror(errno));   /* of an earlier --series sweep */
        rc = -1;
    }
    rc |= ana_csv_commit(hist, err, errlen);
    hist = NULL;
    if (prov)
        rc |= ana_csv_commit(prov, err, errlen);
    prov = NULL;
    *rows_out = rows;
out:
    ana_csv_abort(runs);
    ana_csv_abort(sum);
    ana_csv_abort(reps);
    ana_csv_abort(ser);
    ana_csv_abort(hist);
    ana_csv_abort(prov);
    free(p_runs);
    free(p_sum);
    free(p_reps);
    free(p_ser);
    free(p_hist);
    return rc ? -1 : 0;
}

static void list_points(const sim_sweep *s, FILE *out)
{
    static const char *const fixed[] = {"point", "config", "replication",
                                        "seed", "protocol"};

    fprintf(out, "point\tconfig\treplication\tseed\tprotocol");
    for (size_t j = 0; j < s->n_axes; j++) {
        int taken = 0;
        if (s->axes[j].is_protocol)
            continue;
        for (size_t k = 0; k < ARRAY_LEN(fixed); k++)
            taken |= strcmp(fixed[k], s->axes[j].path) == 0;
        /* as in the CSVs (sim_run_param_col): no column twice */
        fprintf(out, "\t%s%s", taken ? "param." : "", s->axes[j].path);
    }
    fputc('\n', out);
    for (size_t i = 0; i < s->n_points; i++) {
        sim_sweep_point pt;
        if (!s->sel[i])
            continue;
        sim_sweep_point_info(s, i, &pt);
        fprintf(out, "%zu\t%zu\t%u\t%llu\t%s", i, pt.config, pt.replication,
                (unsigned long long)pt.seed, pt.protocol);
        for (size_t j = 0; j < s->n_axes; j++)
            if (!s->axes[j].is_protocol)
                fprintf(out, "\t%s",
                        s->axes[j].values[s->cfgs[pt.config].vi[j]]);
        fputc('\n', out);
    }
}

#ifdef KMSIM_MPI
/* Tells every other rank to stop (rank 0 failed before coordinating). */
static void release_ranks(void)
{
    uint64_t stop = UINT64_MAX;
    int n = mpi_size();

    for (int r = 1; r < n; r++)
        MPI_Send(&stop, 1, MPI_UINT64_T, r, TAG_POINT, MPI_COMM_WORLD);
}
#endif

int sim_sweep_run(sim_sweep *s, FILE *out, char *err, size_t errlen)
{
    const sim_sweep_opts *o = s->o;
    size_t made = 0, rows = 0;
    int locked = 0, busy;
    int rank = 0, coordinated = 0;

#ifdef KMSIM_MPI
    {
        int init = 0;
        MPI_Initialized(&init);
        if (init)
            MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    }
    if (rank > 0) {
        if (!o->list)
            serve(s);
        return SIM_EXIT_OK;
    }
#endif
    if (o->list) {
        list_points(s, out);
        return SIM_EXIT_OK;
    }
    coordinated = 0;
    if (o->out_dir) {
        s->dir = xstrdup(o->out_dir);
    } else {
        s->dir = xmalloc(strlen(s->name) + 32);
        sprintf(s->dir, "results/%s-sweep", s->name);
    }
    sim_units_quote_path(s->qdir, sizeof s->qdir, s->dir);
    if (sim_run_mkdir(s->dir, &made) != 0) {
        sim_run_mkdir_error(s->dir, err, errlen);
        goto fail;
    }
    /* The lock run and compare take (kmsim extension): flock(2) on the
     * directory, so a run, a compare and a sweep exclude one another on
     * one --out.  Busy: the directory (even if this call made it) is the
     * other process's, and is left alone.  The journal is locked too (a
     * sweep of an older kmsim locks only the journal). */
    s->lfd = sim_run_lock(s->dir, &busy, err, errlen);
    if (s->lfd < 0) {
        if (!busy)
            sim_run_rmdir(s->dir, made);
        goto fail;
    }
    if (sweep_journal_open(s, &locked, err, errlen) != 0) {
        if (made) {
            /* The directory is this call's (it holds its lock), and so is
             * a journal it locked: it holds no record.  A journal this call
             * could not open (a path too long, no space) was never made;
             * one it could not lock is an older kmsim's, and stays. */
            if (locked) {
                char *jp = xmalloc(strlen(s->dir) + 32);
                sprintf(jp, "%s/sweep.journal", s->dir);
                unlink(jp);
                free(jp);
            }
            sim_run_rmdir(s->dir, made);
        }
        goto fail;
    }
    for (size_t i = 0; i < s->n_points; i++)
        s->n_skipped += s->sel[i] && s->done[i].len;
    if (s->n_skipped)
        fprintf(stderr, "kmsim: resuming %s/sweep.journal: %zu of %zu "
                "points already done\n", s->qdir, s->n_skipped, s->n_sel);
    coordinated = 1;
    if (coordinate(s, err, errlen) != 0)
        goto fail;
    if (stopping(s))              /* even after the last point: nothing */
        s->interrupted = 1;       /*   is put in place once stopped     */
    if (s->interrupted) {
        snprintf(err, errlen, "interrupted: %zu of %zu points are in %s/"
                 "sweep.journal; run the same command again to resume",
                 s->n_skipped + s->n_done, s->n_sel, s->qdir);
        goto fail;
    }
    if (write_results(s, &rows, err, errlen) != 0) {
        size_t n = strlen(err);
        if (!stopping(s) && n < errlen)
            snprintf(err + n, errlen - n, " (the points are kept in "
                     "%s/sweep.journal: run the same command again to write "
                     "them)", s->qdir);
        goto fail;
    }
    if (!o->quiet) {
        size_t notrun = s->n_sel - s->n_skipped - s->n_done - s->n_failed;
        fprintf(out, "sweep '%s': %zu configurations, %zu points; %zu "
                "selected: %zu done, %zu skipped (already in the journal), "
                "%zu failed", s->name, s->n_configs, s->n_points, s->n_sel,
                s->n_done, s->n_skipped, s->n_failed);
        if (notrun)
            fprintf(out, ", %zu not run (--fail-fast)", notrun);
        fputc('\n', out);
        if (s->n_ranks > 1)
            fprintf(out, "MPI: %zu ranks; %zu points run on ranks other than "
                    "0\n", s->n_ranks, s->n_remote);
        fprintf(out, "wrote %s/runs.csv (%zu rows)\n      %s/summary.csv\n"
                "      %s/replications.csv\n", s->dir, rows, s->dir, s->dir);
    }
    if (o->db) {
        /* --db (kmsim extension, issue 23): only this process writes the
         * database, once the files are in place and still under the
         * directory's lock; workers never open it */
        char e[1024];
        int r = sim_db_store(o->db, s->dir, o->stop, o->quiet ? NULL : out,
                             e, sizeof e);
        if (r != SIM_EXIT_OK) {
            snprintf(err, errlen, "%s (the results are in place; kmsim db "
                     "import stores them)", e);
            return r;
        }
    }
    if (s->n_failed) {
        snprintf(err, errlen, "%zu of %zu points failed (see above); every "
                 "finished point is written; rerunning runs the rest",
                 s->n_failed, s->n_sel);
        return SIM_EXIT_FAIL;
    }
    return SIM_EXIT_OK;
fail:
#ifdef KMSIM_MPI
    if (!coordinated)
        release_ranks();
#endif
    (void)rank;
    (void)coordinated;
    return SIM_EXIT_FAIL;
}

int sim_sweep_main(const sim_sweep_opts *o, FILE *out, char *err, size_t errlen)
{
    sim_sweep *s = sim_sweep_expand(o, err, errlen);
    int rc;

    if (!s)
        return SIM_EXIT_INPUT;
    rc = sim_sweep_run(s, out, err, errlen);
    sim_sweep_free(s);
    return rc;
}
