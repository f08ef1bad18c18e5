/* prov.c — run.yaml: the provenance of an output directory (prov.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "prov.h"
#include "scenario.h"
#include "proto.h"
#include "util.h"
#include "revision.h"   /* KMSIM_REVISION, generated at build time */

#ifndef KMSIM_VERSION
#define KMSIM_VERSION "unknown"
#endif
#ifndef KMSIM_REVISION
#define KMSIM_REVISION "unknown"
#endif

/* The largest scenario file copied into run.yaml (scenario files are
 * small; a larger one is named, not copied). */
#define PROV_MAX_TEXT (4u << 20)

const char *sim_prov_revision(void)
{
    return KMSIM_REVISION[0] ? KMSIM_REVISION : "unknown";
}

static int shell_safe(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || strchr("_@%+=:,./-", *s)))
            return 0;
    return 1;
}

void sim_prov_command(char *buf, size_t len, int argc,
                      const char *const *argv)
{
    size_t o = 0;

#define PUT(ch)                                                              \
    do {                                                                     \
        if (o + 1 < len)                                                     \
            buf[o++] = (ch);                                                 \
    } while (0)
    if (len == 0)
        return;
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (i > 0)
            PUT(' ');
        if (shell_safe(s)) {
            for (; *s; s++)
                PUT(*s);
            continue;
        }
        PUT('\'');
        for (; *s; s++) {
            if (*s == '\'') {
                PUT('\'');
                PUT('\\');
                PUT('\'');
            }
            PUT(*s);
        }
        PUT('\'');
    }
#undef PUT
    buf[o] = '\0';
}

/* A YAML double-quoted scalar: \" \\ and every byte below 0x20 or 0x7f
 * escaped (\n, \t, \xNN); other bytes (UTF-8) as they are. */
static void yq(ana_csv *c, const char *s)
{
    char b[8];

    ana_csv_text(c, "\"");
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            b[0] = '\\';
            b[1] = (char)ch;
            b[2] = '\0';
        } else if (ch == '\n') {
            strcpy(b, "\\n");
        } else if (ch == '\t') {
            strcpy(b, "\\t");
        } else if (ch < 0x20 || ch == 0x7f) {
            snprintf(b, sizeof b, "\\x%02x", ch);
        } else {
            b[0] = (char)ch;
            b[1] = '\0';
        }
        ana_csv_text(c, b);
    }
    ana_csv_text(c, "\"");
}

static void yq_list(ana_csv *c, const char *key, const char *const *v,
                    size_t n)
{
    ana_csv_text(c, key);
    ana_csv_text(c, ":");
    if (n == 0)
        ana_csv_text(c, " []");
    for (size_t i = 0; i < n; i++) {
        ana_csv_text(c, "\n  - ");
        yq(c, v[i]);
    }
    ana_csv_text(c, "\n");
}

/* A literal block keeps the text exactly when it ends in one newline (the
 * block's clip chomping) and has no byte a block cannot hold (controls but
 * tab and LF, so no CR); else the text is one double-quoted scalar. */
static int block_ok(const char *t, size_t n)
{
    if (n == 0 || t[n - 1] != '\n' || (n > 1 && t[n - 2] == '\n'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)t[i];
        if ((ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f)
            return 0;
    }
    return 1;
}

static char *read_text(const char *path, size_t *n, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *t;

    if (!f) {
        snprintf(err, errlen, "%s: cannot read the scenario for %s: %s",
                 path, SIM_PROV_FILE, strerror(errno));
        return NULL;
    }
    t = xmalloc(PROV_MAX_TEXT + 1);
    *n = fread(t, 1, PROV_MAX_TEXT + 1, f);
    if (ferror(f)) {
        snprintf(err, errlen, "%s: cannot read the scenario for %s: %s",
                 path, SIM_PROV_FILE, strerror(errno ? errno : EIO));
        fclose(f);
        free(t);
        return NULL;
    }
    fclose(f);
    t[*n > PROV_MAX_TEXT ? PROV_MAX_TEXT : *n] = '\0';
    return t;
}

ana_csv *sim_prov_open(const char *dir, const sim_prov *p, char *err,
                       size_t errlen)
{
    size_t plen = strlen(dir) + sizeof SIM_PROV_FILE + 2, n = 0;
    char *path = xmalloc(plen), *text, *cmd, num[32];
    size_t clen = 1;
    ana_csv *c;

    text = read_text(p->file, &n, err, errlen);
    if (!text) {
        free(path);
        return NULL;
    }
    snprintf(path, plen, "%s/%s", dir, SIM_PROV_FILE);
    c = ana_csv_open(path, err, errlen);
    free(path);
    if (!c) {
        free(text);
        return NULL;
    }
    ana_csv_text(c, "# Provenance of the CSV files in this directory, written "
                    "by kmsim beside\n# them (never read back).  The "
                    "scenario as run: scenario_text with the\n# overrides "
                    "applied in order (then, for a sweep, each "
                    "configuration's\n# swept values, its CSV columns).\n");
    ana_csv_text(c, "kmsim_version: ");
    yq(c, KMSIM_VERSION);
    ana_csv_text(c, "\nsource_revision: ");
    yq(c, sim_prov_revision());
    for (int i = 0; i < p->argc; i++)
        clen += 4 * strlen(p->argv[i]) + 3;
    cmd = xmalloc(clen);
    sim_prov_command(cmd, clen, p->argc, p->argv);
    ana_csv_text(c, "\ncommand_line: ");
    yq(c, cmd);
    free(cmd);
    ana_csv_text(c, "\n");
    yq_list(c, "argv", p->argv, (size_t)(p->argc > 0 ? p->argc : 0));
    ana_csv_text(c, "scenario_file: ");
    yq(c, p->file);
    ana_csv_text(c, "\n");
    yq_list(c, "overrides", p->sets, p->n_sets);
    if (p->varies)
        yq_list(c, "vary", p->varies, p->n_varies);
    if (p->has_resolved) {
        ana_csv_text(c, "resolved:\n  protocol: ");
        yq(c, p->protocol);
        snprintf(num, sizeof num, "%llu", (unsigned long long)p->seed);
        ana_csv_text(c, "\n  seed: ");
        ana_csv_text(c, num);
        snprintf(num, sizeof num, "%u", p->replications);
        ana_csv_text(c, "\n  replications: ");
        ana_csv_text(c, num);
        ana_csv_text(c, "\n  scenario_hash: ");
        yq(c, p->scenario_hash);
        ana_csv_text(c, "\n");
    }
    ana_csv_text(c, "scenario_text: ");
    if (n > PROV_MAX_TEXT) {
        ana_csv_text(c, "null   # larger than 4 MiB: not copied\n");
    } else if (block_ok(text, n)) {
        /* |2: an explicit indentation, so a first line that starts with
         * spaces is kept; an empty line stays empty */
        char *s = text;
        ana_csv_text(c, "|2\n");
        while (*s) {
            char *e = strchr(s, '\n');
            *e = '\0';                  /* block_ok: every line ends */
            ana_csv_text(c, *s ? "  " : "");
            ana_csv_text(c, s);
            ana_csv_text(c, "\n");
            s = e + 1;
        }
    } else {
        yq(c, text);
        ana_csv_text(c, "\n");
    }
    free(text);
    return c;
}

ana_csv *sim_prov_open_scn(const char *dir, int argc, const char *const *argv,
                           const scenario *sc, const char *hash, char *err,
                           size_t errlen)
{
    sim_prov p = {argc, argv, sc->file, NULL, 0, NULL, 0, hash != NULL,
                  sc->proto->name, sc->seed, sc->replications, hash};
    char **sets = xcalloc(sc->n_overrides ? sc->n_overrides : 1,
                          sizeof *sets);
    ana_csv *c;

    for (size_t i = 0; i < sc->n_overrides; i++) {
        size_t n = strlen(sc->overrides[i].path) +
                   strlen(sc->overrides[i].value) + 2;
        sets[i] = xmalloc(n);
        snprintf(sets[i], n, "%s=%s", sc->overrides[i].path,
                 sc->overrides[i].value);
    }
    p.sets = (const char *const *)sets;
    p.n_sets = sc->n_overrides;
    c = sim_prov_open(dir, &p, err, errlen);
    for (size_t i = 0; i < sc->n_overrides; i++)
        free(sets[i]);
    free(sets);
    return c;
}
