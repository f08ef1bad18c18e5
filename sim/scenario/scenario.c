/* scenario.c — the scenario loader: YAML file + --set overrides -> a
 * validated `scenario` in SI / nanosecond units.  libyaml's document API
 * gives a node tree with positions; overrides are grafted into that tree
 * before validation so every check runs once, and every error is one line
 * naming file:line:column or the --set flag it came from.
 *
 * This file holds the top level and the public entry points (scn_load*,
 * scn_free, scn_error_at, scn_registry_set, scn_opts_parse_buffer).  The
 * YAML reader is scn_yaml.c, the mapping cursor and typed getters
 * scn_map.c (scn_map.h), the sections scn_topo.c, scn_sections.c and
 * scn_sweep.c; scn_int.h is their private header.  Protocols are reached
 * only through the registry handed to scn_registry_set. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>
#include "cry.h"
#include "cry_key.h"
#include "scenario.h"
#include "topic.h"
#include "util.h"
#include "scn_int.h"

/* ---- the top level ------------------------------------------------------ */

static const char *const top_keys[] = {
    "name", "seed", "duration", "warmup", "replications", "max_events",
    "protocol", "protocols", "topology", "traffic", "smart_object",
    "subscribers", "profiles", "attackers", "moves", "sweep", "defences",
    "aead", NULL};

static const char *const defences_names[] = {"as_published", "hardened",
                                             NULL};
/* `aead:`, in cry_aead order. */
static const char *const aead_names[] = {"chacha20poly1305", "aes256gcm",
                                         NULL};

static int name_valid(const char *s)
{
    size_t n = strlen(s);
    /* The name becomes a directory (results/<name>): never "." or "..",
     * nor hidden. */
    if (n < 1 || n > 128 || s[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

static int validate(ldr *L, ydoc *d, yaml_node_t *root)
{
    scenario *s = L->s;
    yaml_node_t *nn, *wn;
    const char *name;
    char b[160];
    scn_map m;
    int64_t reps;
    int rc = -1;

    if (root->type != YAML_MAPPING_NODE)
        return scni_nerr(L, d, root,
                         "expected a mapping at the top level, got %s",
                         scni_describe(root, b, sizeof b));
    if (scni_map_open(&m, L, d, root, root, "scenario", NULL) ||
        scni_map_check_keys(&m, top_keys, NULL, NULL) ||
        scni_get_string(&m, "name", 1, &name, &nn))
        goto out;
    if (!name_valid(name)) {
        sim_units_quote(b, sizeof b, name);
        scni_nerr(L, d, nn,
                  "invalid name '%s' (1 to 128 characters of A-Z a-z "
                  "0-9 _ . -, not starting with '.')", b);
        goto out;
    }
    s->name = xstrdup(name);
    if (scni_get_u64(&m, "seed", 1, &s->seed) ||
        scni_get_time(&m, "duration", 1, 0, 0, 1, SCN_MAX_DURATION,
                      &s->duration, NULL) ||
        scni_get_time(&m, "warmup", 0, 0, 0, 0, SCN_MAX_DURATION, &s->warmup,
                      &wn))
        goto out;
    if (s->warmup >= s->duration) {
        char w[64], du[64];
        sim_units_format((double)s->warmup / 1e9, SIM_DIM_TIME, w, sizeof w);
        sim_units_format((double)s->duration / 1e9, SIM_DIM_TIME, du,
                         sizeof du);
        scni_nerr(L, d, wn, "'warmup' (%s) must be less than 'duration' (%s)",
                  w, du);
        goto out;
    }
    if (scni_get_int(&m, "replications", 0, 1, 1, SCN_MAX_REPLICATIONS, &reps,
                     NULL))
        goto out;
    /* An events limit is a guard of one invocation, not part of the
     * experiment: a replication that reaches it is stopped with nothing
     * written (issue 20), so a scenario may not set it. */
    if (scni_map_find(&m, "max_events", NULL)) {
        scn_map_error(&m, "max_events", "'max_events' cannot be set in a "
                      "scenario: it is a guard of one run (kmsim run "
                      "--max-events N)");
        goto out;
    }
    s->replications = (uint32_t)reps;
    /* Before the protocol blocks: it sets their mechanisms' defaults. */
    if (scni_get_enum(&m, "defences", defences_names, 0, SCN_DEF_AS_PUBLISHED,
                      &s->defences, NULL))
        goto out;
    /* The host cipher (kmsim extension, issue 22): every key store of the
     * run seals and opens with it.  A cipher the CPU cannot run is an
     * input error at the value, never a silent fallback. */
    if (scni_get_enum(&m, "aead", aead_names, 0, CRY_AEAD_CHACHA20POLY1305,
                      &s->aead, NULL))
        goto out;
    if (!cry_aead_available((cry_aead)s->aead)) {
        scn_map_error(&m, "aead", "'aead: %s' is not available on this "
                      "host (the CPU lacks AES-NI/PCLMUL, libsodium's "
                      "crypto_aead_aes256gcm_is_available() is 0); use "
                      "'aead: chacha20poly1305'",
                      cry_aead_name((cry_aead)s->aead));
        goto out;
    }
    /* Before the protocol blocks: their re-key rounds are checked
     * against it (kmsim extension, issue 22). */
    if (scni_pre_rekey_spread(&m))
        goto out;
    if (scni_parse_protocol(&m) || scni_parse_topology(&m) ||
        scni_parse_traffic(&m) || scni_parse_smart_object(&m) ||
        scni_parse_subscribers(&m) || scni_parse_profiles(&m) ||
        scni_parse_attackers(&m) || scni_parse_moves(&m) ||
        scni_parse_sweep(&m))
        goto out;
    rc = 0;
out:
    scni_map_close(&m);
    return L->failed ? -1 : rc;
}

/* ======================================================================
 * Entry points
 * ====================================================================== */

/* The protocol registry handed to the loader (scn_registry_set): the one
 * process-wide value of the loader, set once before any load and only
 * read afterwards (threads and forked sweep workers read the same
 * constant table), so the loader never names the protocols' layer. */
static const scn_registry *registry;

void scn_registry_set(const scn_registry *r)
{
    registry = r;
}

static scenario *load_scn(const char *name, const unsigned char *buf,
                          size_t len, const char *const *overrides,
                          const char *const *labels, size_t n,
                          const char *dir, const char *protocol, char *err,
                          size_t errlen)
{
    ldr L;
    ydoc d;
    scenario *s = xcalloc(1, sizeof *s);
    yaml_node_t *root;

    memset(&L, 0, sizeof L);
    memset(&d, 0, sizeof d);
    L.err = err;
    L.errlen = errlen;
    L.args = overrides;
    L.labels = labels;
    L.s = s;
    if (dir) {
        L.dir = dir;
        L.dirlen = strlen(dir);
    }
    if (err && errlen)
        err[0] = '\0';
    s->file = xstrdup(name);
    L.reg = s->reg = registry;

    if (!L.reg) {
        scni_report(&L, name, -1, NULL, SCNI_NO_REGISTRY);
        goto fail;
    }
    if (cry_init() != 0) {
        scni_report(&L, name, -1, NULL, "cannot initialise libsodium");
        goto fail;
    }
    if (protocol) {
        L.as = L.reg->find(protocol);
        if (!L.as) {
            char q[128];
            sim_units_quote(q, sizeof q, protocol);
            scni_report(&L, name, -1, NULL,
                        "unknown protocol '%s' (known: %s)", q,
                        L.reg->names());
            goto fail;
        }
    }
    if (n > SCN_MAX_OVERRIDES) {
        scni_report(&L, "--set", -1, NULL,
                    "too many overrides (%zu, limit %u)", n,
                    SCN_MAX_OVERRIDES);
        goto fail;
    }
    if (n) {
        s->overrides = xcalloc(n, sizeof *s->overrides);
        for (size_t k = 0; k < n; k++) {
            if (scni_split_override(overrides[k], &s->overrides[k].path,
                                    &s->overrides[k].value)) {
                scni_report(&L, name, (int)k, NULL, "expected path=value");
                goto fail;
            }
            if (labels && labels[k])
                s->overrides[k].label = xstrdup(labels[k]);
            {
                double si;
                s->overrides[k].si_col =
                    sim_units_si(s->overrides[k].value, &si) == 0;
            }
            s->n_overrides = k + 1;
        }
    }
    if (len > SCN_MAX_FILE) {
        scni_report(&L, name, -1, NULL, "file too large (limit 64 MiB)");
        goto fail;
    }

    /* Hash: the file, each override (a 0 byte, path, '=', value), then
     * each profile file read while validating ("\0profile:", its section,
     * a 0 byte, its bytes), then the protocol run when it is not
     * protocol.name ("\0protocol:", its name, a 0 byte). */
    cry_hash_init(&L.hash);
    cry_hash_update(&L.hash, buf, len);
    for (size_t k = 0; k < n; k++) {
        cry_hash_update(&L.hash, "", 1);
        cry_hash_update(&L.hash, s->overrides[k].path,
                        strlen(s->overrides[k].path));
        cry_hash_update(&L.hash, "=", 1);
        cry_hash_update(&L.hash, s->overrides[k].value,
                        strlen(s->overrides[k].value));
    }

    if (scni_load_doc(&L, &d, name, -1, buf, len))
        goto fail;
    root = yaml_document_get_root_node(&d.doc);
    if (!root || scni_is_null(root)) {
        yaml_mark_t m0 = {0, 0, 0};
        scni_report(&L, name, -1, &m0, "empty scenario");
        goto fail;
    }
    for (size_t k = 0; k < n; k++)
        if (scni_apply_override(&L, &d, (int)k, s->overrides[k].path,
                                s->overrides[k].value))
            goto fail;
    /* adding nodes may have moved the node array */
    root = yaml_document_get_root_node(&d.doc);
    if (validate(&L, &d, root))
        goto fail;
    if (s->proto != s->protos[0]) {
        const char *pn = L.reg->name(s->proto);
        cry_hash_update(&L.hash, "\0protocol:", 10);
        cry_hash_update(&L.hash, pn, strlen(pn) + 1);
    }
    cry_hash_final(&L.hash, s->hash);
    scni_ydoc_free(&d);
    scni_idmap_free(&L.ids);
    return s;
fail:
    scni_ydoc_free(&d);
    scni_idmap_free(&L.ids);
    scn_free(s);
    return NULL;
}

/* An error message is one line whatever the input quoted in it holds (a
 * --set or --vary argument, a double-quoted YAML scalar, a file name):
 * control characters, the terminal-unsafe characters of sim_units_unsafe
 * (C1, bidi, zero-width, line/paragraph separators ...) and bytes that are
 * not UTF-8 become '?'. */
static void one_line(char *err, size_t errlen)
{
    char *r, *w;

    if (!err || !errlen)
        return;
    for (r = w = err; *r; w++) {
        size_t n = sim_units_unsafe(r, NULL);

        if (n > 0) {             /* C1, bidi, zero-width: one '?' */
            *w = '?';
            r += n;
        } else if ((unsigned char)*r >= 0x80) {
            n = sim_units_utf8(r, NULL);
            if (n == 0) {        /* a byte that is not UTF-8 */
                *w = '?';
                r++;
            } else {             /* a printable character, whole */
                memmove(w, r, n);
                w += n - 1;
                r += n;
            }
        } else if ((unsigned char)*r < 0x20 || *r == 0x7f) {
            *w = '?';
            r++;
        } else {
            *w = *r++;
        }
    }
    *w = '\0';
}

int scn_axis_parse(const char *arg, scn_axis *ax, char *err, size_t errlen)
{
    int rc = scni_axis_parse(registry, arg, ax, err, errlen);

    if (rc != 0)
        one_line(err, errlen);
    return rc;
}

static scenario *load(const char *name, const unsigned char *buf,
                      size_t len, const char *const *overrides,
                      const char *const *labels, size_t n, const char *dir,
                      const char *protocol, char *err, size_t errlen)
{
    scenario *s = load_scn(name, buf, len, overrides, labels, n, dir,
                           protocol, err, errlen);

    if (!s)
        one_line(err, errlen);
    return s;
}

scenario *scn_load_as(const char *path, const char *const *overrides,
                      size_t n, const char *protocol, char *err,
                      size_t errlen)
{
    scn_load_args a = {overrides, NULL, n, protocol};
    return scn_load_args_file(path, &a, err, errlen);
}

scenario *scn_load_args_file(const char *path, const scn_load_args *a,
                             char *err, size_t errlen)
{
    unsigned char *buf;
    size_t len;
    const char *slash = strrchr(path, '/');
    char *dir = NULL;
    scenario *s;
    const char *kind;
    int rc = scni_read_file(path, &buf, &len, &kind);

    if (rc) {
        if (err && errlen) {
            int e = errno;
            char q[512];
            /* a long path cut in its middle: the reason stays whole */
            sim_units_quote_path(q, sizeof q, path);
            if (rc == -2)
                snprintf(err, errlen, "%s: file too large (limit 64 MiB)",
                         q);
            else if (rc == -3)
                snprintf(err, errlen, "%s: not a regular file (%s)", q,
                         kind);
            else
                snprintf(err, errlen, "%s: cannot open: %s", q, strerror(e));
        }
        return NULL;
    }
    if (slash) {
        size_t n_dir = (size_t)(slash - path) + 1;
        dir = xmalloc(n_dir + 1);
        memcpy(dir, path, n_dir);
        dir[n_dir] = '\0';
    }
    s = load(path, buf, len, a->overrides, a->labels, a->n, dir, a->protocol,
             err, errlen);
    free(dir);
    free(buf);
    return s;
}

scenario *scn_load(const char *path, const char *const *overrides, size_t n,
                   char *err, size_t errlen)
{
    return scn_load_as(path, overrides, n, NULL, err, errlen);
}

scenario *scn_load_buffer_as(const char *name, const char *buf, size_t len,
                             const char *const *overrides, size_t n,
                             const char *protocol, char *err, size_t errlen)
{
    return load(name, (const unsigned char *)buf, len, overrides, NULL, n,
                NULL, protocol, err, errlen);
}

scenario *scn_load_buffer(const char *name, const char *buf, size_t len,
                          const char *const *overrides, size_t n,
                          char *err, size_t errlen)
{
    return scn_load_buffer_as(name, buf, len, overrides, n, NULL, err,
                              errlen);
}

void scn_free(scenario *s)
{
    if (!s)
        return;
    if (s->reg)
        s->reg->free_opts(s->proto, s->proto_opts);
    free(s->protos);
    free(s->file);
    free(s->name);
    free(s->topo.nodes);
    free(s->topo.links);
    for (size_t i = 0; i < s->traffic.n_topics; i++)
        free(s->traffic.topics[i]);
    free(s->traffic.topics);
    for (size_t i = 0; i < s->subs.n_filters; i++)
        free(s->subs.filters[i]);
    free(s->subs.filters);
    for (size_t i = 0; i < s->n_attackers; i++)
        free(s->attackers[i].targets);
    free(s->attackers);
    free(s->moves);
    for (size_t i = 0; i < s->n_overrides; i++) {
        free(s->overrides[i].path);
        free(s->overrides[i].value);
        free(s->overrides[i].label);
    }
    free(s->overrides);
    for (size_t i = 0; i < s->n_axes; i++)
        scn_axis_free(&s->axes[i]);
    free(s->axes);
    free(s);
}

void scn_error_at(const scenario *s, const scn_mark *m, char *err,
                  size_t errlen, const char *fmt, ...)
{
    char msg[1024], arg[256], q[128];
    va_list ap;

    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (m->ovr >= 0 && (size_t)m->ovr < s->n_overrides &&
        s->overrides[m->ovr].label) {
        snprintf(err, errlen, "%s: %s", s->overrides[m->ovr].label, msg);
    } else if (m->ovr >= 0 && (size_t)m->ovr < s->n_overrides) {
        /* as the loader quotes it: the flag as given (path=value), cut
         * after 60 bytes, so a truncated arg[] quotes the same */
        snprintf(arg, sizeof arg, "%s=%s", s->overrides[m->ovr].path,
                 s->overrides[m->ovr].value);
        sim_units_quote(q, sizeof q, arg);
        snprintf(err, errlen, "--set %s: %s", q, msg);
    } else {
        snprintf(err, errlen, "%s:%u:%u: %s", s->file, m->line, m->col, msg);
    }
}

int scn_opts_parse_buffer(const scn_registry *r, const scn_proto_ops *ops,
                          const char *name, const char *text, void **opts,
                          char *err, size_t errlen)
{
    ldr L;
    ydoc d;
    scn_map pm;
    yaml_node_t *root = NULL;
    int rc = -1;

    memset(&L, 0, sizeof L);
    memset(&d, 0, sizeof d);
    memset(&pm, 0, sizeof pm);
    L.err = err;
    L.errlen = errlen;
    L.reg = r;
    *opts = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (!r) {
        scni_report(&L, name, -1, NULL, SCNI_NO_REGISTRY);
        return -1;
    }
    if (scni_load_doc(&L, &d, name, -1, (const unsigned char *)text,
                      strlen(text)))
        goto out;
    root = yaml_document_get_root_node(&d.doc);
    if (root && scni_is_null(root))
        root = NULL;
    if (root && root->type != YAML_MAPPING_NODE) {
        char b[160];
        scni_nerr(&L, &d, root,
                  "expected a mapping of protocol options, got %s",
                  scni_describe(root, b, sizeof b));
        goto out;
    }
    if (scni_map_open(&pm, &L, &d, root, root, "protocol", "name"))
        goto out;
    rc = r->parse_opts(ops, &pm, opts);
    if (rc == 0)
        rc = scn_map_done(&pm);
    if (rc != 0 && !L.failed)
        scni_report(&L, name, -1, NULL, "invalid options for protocol '%s'",
                    r->name(ops));
out:
    scni_map_close(&pm);
    scni_ydoc_free(&d);
    if (rc != 0) {
        r->free_opts(ops, *opts);
        *opts = NULL;
        return -1;
    }
    return 0;
}
