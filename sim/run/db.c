/* db.c — the SQLite results database (kmsim extension, issue 23): schema,
 * opening checks, and storing a result directory by reading its CSV files
 * back (RFC 4180, as analysis/csv.c writes them) and run.yaml (libyaml),
 * one directory per transaction. */
#if !defined(_GNU_SOURCE) && !defined(_XOPEN_SOURCE)
#define _XOPEN_SOURCE 700   /* POSIX.1-2008 + XSI: access, strtoll, opendir */
#endif
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>
#include <yaml.h>
#include "db.h"
#include "cry.h"
#include "csv.h"
#include "run.h"
#include "units.h"
#include "util.h"

struct sim_db {
    sqlite3 *h;          /* the connection                              */
    char *path;          /* as given, owned                             */
};

/* ---------------------------------------------------------------------
 * The tables of the CSV files.  Every data row of a file becomes one row
 * of its table, keyed by its configuration (the config table: the CSV's
 * provenance columns and parameter cells); a column marked `config` is a
 * property of the configuration and goes to the config table instead.
 * To store another CSV file of kmsim's long form (the same leading
 * columns kmsim_version, scenario, scenario_hash, protocol, then the
 * parameter columns), add one entry to db_files (the table is created
 * from it; `optional` for a file written only on request) and raise
 * SIM_DB_VERSION.
 * ------------------------------------------------------------------- */
typedef struct db_col {
    const char *name;    /* CSV header = SQL column                     */
    char type;           /* 'i' int64, 'u' uint64 kept as decimal TEXT  */
                         /*   (SQLite's INTEGER is signed), 'r' REAL    */
                         /*   (empty: NULL), 't' TEXT                   */
    int config;          /* 1: a config table column                    */
} db_col;

typedef struct db_file {
    const char *file;    /* in the result directory                     */
    const char *table;
    const db_col *cols;  /* the columns after the parameters, in order  */
    size_t ncols;
    const char *key;     /* its UNIQUE key after config, or NULL        */
    int optional;        /* 1: a directory may lack the file (written   */
                         /*   only on request); 0: required             */
} db_file;

static const db_col cols_summary[] = {
    {"base_seed", 'u', 1}, {"metric", 't', 0}, {"entity", 't', 0},
    {"unit", 't', 0}, {"n", 'i', 0}, {"mean", 'r', 0}, {"sd", 'r', 0},
    {"ci95_lo", 'r', 0}, {"ci95_hi", 'r', 0}, {"min", 'r', 0},
    {"max", 'r', 0}, {"replications", 'i', 1}, {"complete", 'i', 1}};
static const db_col cols_reps[] = {
    {"replication", 'i', 0}, {"seed", 'u', 0}, {"events", 'i', 0},
    {"end_time_s", 'r', 0}, {"fingerprint", 't', 0}};
static const db_col cols_runs[] = {
    {"replication", 'i', 0}, {"seed", 'u', 0}, {"metric", 't', 0},
    {"entity", 't', 0}, {"unit", 't', 0}, {"value", 'r', 0}};
static const db_col cols_series[] = {
    {"replication", 'i', 0}, {"seed", 'u', 0}, {"t_start_s", 'r', 0},
    {"t_end_s", 'r', 0}, {"warmup", 'i', 0}, {"metric", 't', 0},
    {"entity", 't', 0}, {"unit", 't', 0}, {"stat", 't', 0},
    {"value", 'r', 0}};
static const db_col cols_hist[] = {
    {"metric", 't', 0}, {"entity", 't', 0}, {"unit", 't', 0},
    {"bucket_lo", 'r', 0}, {"bucket_hi", 'r', 0}, {"count", 'r', 0}};

static const db_file db_files[] = {
    {"summary.csv", "summary", cols_summary, ARRAY_LEN(cols_summary),
     "metric, entity, unit", 0},
    {"replications.csv", "replication", cols_reps, ARRAY_LEN(cols_reps),
     "replication", 0},
    {"runs.csv", "value", cols_runs, ARRAY_LEN(cols_runs),
     "replication, metric, entity, unit", 0},
    {"series.csv", "series", cols_series, ARRAY_LEN(cols_series),
     "replication, t_start_s, metric, entity, stat", 1},
    {"histograms.csv", "histogram", cols_hist, ARRAY_LEN(cols_hist),
     "metric, entity, unit, bucket_lo", 1},
};

/* The leading columns of every file. */
static const char *const lead[] = {"kmsim_version", "scenario",
                                   "scenario_hash", "protocol"};
#define N_LEAD 4

static const char schema_fixed[] =
    "CREATE TABLE invocation(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  command TEXT,\n"
    "  directory TEXT NOT NULL,\n"
    "  files_hash TEXT NOT NULL UNIQUE,\n"
    "  kmsim_version TEXT,\n"
    "  source_revision TEXT,\n"
    "  command_line TEXT,\n"
    "  scenario_file TEXT,\n"
    "  overrides TEXT,\n"
    "  vary TEXT,\n"
    "  scenario_text TEXT);\n"
    "CREATE TABLE config(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  invocation INTEGER NOT NULL REFERENCES invocation(id),\n"
    "  ordinal INTEGER NOT NULL,\n"
    "  kmsim_version TEXT NOT NULL,\n"
    "  scenario TEXT NOT NULL,\n"
    "  scenario_hash TEXT NOT NULL,\n"
    "  protocol TEXT NOT NULL,\n"
    "  params TEXT NOT NULL,\n"
    "  base_seed TEXT,\n"
    "  replications INTEGER,\n"
    "  complete INTEGER,\n"
    "  UNIQUE(invocation, scenario_hash, protocol, params));\n"
    "CREATE TABLE param(\n"
    "  config INTEGER NOT NULL REFERENCES config(id),\n"
    "  ordinal INTEGER NOT NULL,\n"
    "  path TEXT NOT NULL,\n"
    "  csv_column TEXT NOT NULL,\n"
    "  value TEXT NOT NULL,\n"
    "  si REAL,\n"
    "  PRIMARY KEY(config, csv_column));\n";

/* The views: the CSVs' rows with their configuration (and its parameters
 * as "column=value, ..."); param joins by path where one parameter is
 * wanted as a column. */
static const char schema_views[] =
    "CREATE VIEW config_v AS SELECT c.id AS config, c.invocation,\n"
    "  i.command, i.directory, c.scenario, c.scenario_hash, c.protocol,\n"
    "  c.params, c.base_seed, c.replications, c.complete\n"
    "  FROM config c JOIN invocation i ON i.id = c.invocation;\n"
    "CREATE VIEW summary_v AS SELECT v.*, s.metric, s.entity, s.unit,\n"
    "  s.n, s.mean, s.sd, s.ci95_lo, s.ci95_hi, s.min, s.max\n"
    "  FROM summary s JOIN config_v v ON v.config = s.config;\n"
    "CREATE VIEW value_v AS SELECT v.*, r.replication, r.seed, r.metric,\n"
    "  r.entity, r.unit, r.value\n"
    "  FROM value r JOIN config_v v ON v.config = r.config;\n"
    "CREATE VIEW replication_v AS SELECT v.*, r.replication, r.seed,\n"
    "  r.events, r.end_time_s, r.fingerprint\n"
    "  FROM replication r JOIN config_v v ON v.config = r.config;\n";

/* A path in a message, quoted as elsewhere (sim_units_quote_path). */
typedef char db_qbuf[512];
static const char *qp(db_qbuf q, const char *path)
{
    sim_units_quote_path(q, sizeof(db_qbuf), path);
    return q;
}

/* Runs sql (no rows wanted).  0, or -1 with "--db FILE: what: reason". */
static int db_exec(sim_db *db, const char *sql, const char *what, char *err,
                   size_t errlen)
{
    char *m = NULL;
    db_qbuf q;

    if (sqlite3_exec(db->h, sql, NULL, NULL, &m) == SQLITE_OK)
        return 0;
    xmsg(err, errlen, "--db %s: %s: %s", qp(q, db->path), what,
            m ? m : sqlite3_errmsg(db->h));
    sqlite3_free(m);
    return -1;
}

/* The one integer a pragma or query returns; -1 with *code on error. */
static int64_t db_int(sim_db *db, const char *sql, int *code)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    int rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL);

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            v = sqlite3_column_int64(st, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    *code = rc == SQLITE_DONE ? SQLITE_OK : rc;
    return v;
}

/* Appends src to the growing string *s (length *n, capacity *cap). */
static void str_add(char **s, size_t *n, size_t *cap, const char *src)
{
    size_t l = strlen(src);

    if (*n + l + 1 > *cap) {
        *cap = 2 * (*n + l + 1);
        *s = xrealloc(*s, *cap);
    }
    memcpy(*s + *n, src, l + 1);
    *n += l;
}

/* The CREATE statements of the db_files tables, in a new string. */
static char *schema_tables(void)
{
    size_t cap = 0, n = 0;
    char *s = NULL, line[256];

    str_add(&s, &n, &cap, "");
    for (size_t f = 0; f < ARRAY_LEN(db_files); f++) {
        const db_file *d = &db_files[f];

        snprintf(line, sizeof line, "CREATE TABLE %s(\n  config INTEGER "
                 "NOT NULL REFERENCES config(id)", d->table);
        str_add(&s, &n, &cap, line);
        for (size_t i = 0; i < d->ncols; i++) {
            const db_col *c = &d->cols[i];
            if (c->config)
                continue;
            snprintf(line, sizeof line, ",\n  %s %s", c->name,
                     c->type == 'i' ? "INTEGER"
                     : c->type == 'r' ? "REAL" : "TEXT");
            str_add(&s, &n, &cap, line);
        }
        if (d->key)
            snprintf(line, sizeof line, ",\n  UNIQUE(config, %s));\n", d->key);
        else
            snprintf(line, sizeof line, ");\n");
        str_add(&s, &n, &cap, line);
    }
    return s;
}

void sim_db_close(sim_db *db)
{
    if (!db)
        return;
    sqlite3_close(db->h);    /* every statement is finalized by now */
    free(db->path);
    free(db);
}

/* Creates the schema inside a write transaction, unless another process
 * did it first; the file's application id and objects are read under
 * that lock, in one snapshot (two processes creating one new file at
 * once: one creates, the other finds it made).  0, or -1 with a message
 * (*input 1: the file is another application's). */
static int db_create(sim_db *db, int *input, char *err, size_t errlen)
{
    char *tables, pragmas[128];
    int code, rc = -1;
    int64_t app, objs;

    if (db_exec(db, "BEGIN IMMEDIATE", "cannot lock", err, errlen) != 0)
        return -1;
    app = db_int(db, "PRAGMA application_id", &code);
    objs = code == SQLITE_OK
               ? db_int(db, "SELECT count(*) FROM sqlite_master", &code)
               : -1;
    if (code == SQLITE_OK && app == SIM_DB_APP_ID) {
        rc = 0;                  /* made meanwhile: checked by the caller */
        goto out;
    }
    if (code != SQLITE_OK) {
        db_qbuf q;
        xmsg(err, errlen, "--db %s: cannot read: %s", qp(q, db->path),
                sqlite3_errmsg(db->h));
        goto out;
    }
    if (app != 0 || objs != 0) {
        db_qbuf q;
        xmsg(err, errlen, "--db %s: not a kmsim results database "
                "(another application's SQLite file)", qp(q, db->path));
        *input = 1;
        goto out;
    }
    tables = schema_tables();
    snprintf(pragmas, sizeof pragmas, "PRAGMA application_id = %d;\n"
             "PRAGMA user_version = %d;\n", SIM_DB_APP_ID, SIM_DB_VERSION);
    rc = db_exec(db, schema_fixed, "cannot create the schema", err, errlen);
    if (!rc)
        rc = db_exec(db, tables, "cannot create the schema", err, errlen);
    if (!rc)
        rc = db_exec(db, schema_views, "cannot create the schema", err,
                     errlen);
    if (!rc)
        rc = db_exec(db, pragmas, "cannot create the schema", err, errlen);
    free(tables);
    if (!rc)
        return db_exec(db, "COMMIT", "cannot commit", err, errlen);
out:
    sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

sim_db *sim_db_open(const char *path, int *rc, char *err, size_t errlen)
{
    sim_db *db = xcalloc(1, sizeof *db);
    struct stat stb;
    int existed = stat(path, &stb) == 0, code;
    int64_t app, ver;
    db_qbuf q;

    *rc = SIM_EXIT_FAIL;
    db->path = xstrdup(path);
    if (existed && S_ISDIR(stb.st_mode)) {
        xmsg(err, errlen, "--db %s: is a directory", qp(q, path));
        *rc = SIM_EXIT_INPUT;
        goto fail;
    }
    if (sqlite3_open_v2(path, &db->h,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        NULL) != SQLITE_OK) {
        xmsg(err, errlen, "--db %s: cannot open: %s", qp(q, path),
                db->h ? sqlite3_errmsg(db->h) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(db->h, SIM_DB_BUSY_MS);
    app = db_int(db, "PRAGMA application_id", &code);
    if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) {
        xmsg(err, errlen, "--db %s: not a kmsim results database (not "
                "an SQLite file)", qp(q, path));
        *rc = SIM_EXIT_INPUT;
        goto fail;
    }
    if (code != SQLITE_OK) {
        xmsg(err, errlen, "--db %s: cannot read: %s", qp(q, path),
                sqlite3_errmsg(db->h));
        goto fail;
    }
    if (app != SIM_DB_APP_ID) {
        /* a new file, another application's, or one another kmsim is
         * creating right now: decided under the write lock */
        int input = 0;

        if (db_create(db, &input, err, errlen) != 0) {
            if (input)
                *rc = SIM_EXIT_INPUT;
            goto fail;
        }
    }
    ver = db_int(db, "PRAGMA user_version", &code);
    if (code != SQLITE_OK) {
        xmsg(err, errlen, "--db %s: cannot read: %s", qp(q, path),
                sqlite3_errmsg(db->h));
        goto fail;
    }
    if (ver != SIM_DB_VERSION) {
        xmsg(err, errlen, "--db %s: a kmsim database of schema version "
                "%" PRId64 "; this kmsim reads version %d only", qp(q, path),
                ver, SIM_DB_VERSION);
        *rc = SIM_EXIT_INPUT;
        goto fail;
    }
    /* WAL: readers never block the one writer; a crash mid-transaction
     * leaves the database as it was before it. */
    /* Switching a new file to WAL needs it unlocked for a moment, and
     * SQLite answers BUSY at once (no busy handler) while another
     * process creates or switches it: retried, up to the busy timeout. */
    for (int ms = 0;; ms += 10) {
        db_int(db, "PRAGMA journal_mode = WAL", &code);
        if ((code != SQLITE_BUSY && code != SQLITE_LOCKED) ||
            ms >= SIM_DB_BUSY_MS)
            break;
        sqlite3_sleep(10);
    }
    if (code != SQLITE_OK ||
        db_exec(db, "PRAGMA foreign_keys = ON", "cannot set foreign keys",
                err, errlen) != 0) {
        if (code != SQLITE_OK)
            xmsg(err, errlen, "--db %s: cannot use a WAL journal: %s",
                    qp(q, path), sqlite3_errmsg(db->h));
        goto fail;
    }
    /* Writable now (a read-only file, a folder without write access for
     * the journal): found before the run, not after it.  Waits, like
     * every write, up to the busy timeout for another writer. */
    if (sqlite3_db_readonly(db->h, "main") == 1) {
        xmsg(err, errlen, "--db %s: cannot write: the file is read-only "
             "for this user", qp(q, path));
        goto fail;
    }
    if (db_exec(db, "BEGIN IMMEDIATE", "cannot write", err, errlen) != 0)
        goto fail;
    sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
    *rc = SIM_EXIT_OK;
    return db;
fail:
    sim_db_close(db);
    /* Nothing half-made left: a file this call created and left empty
     * (never one that another process has filled meanwhile). */
    if (!existed && *rc != SIM_EXIT_OK && stat(path, &stb) == 0 &&
        S_ISREG(stb.st_mode) && stb.st_size == 0) {
        char *p = xmalloc(strlen(path) + 8);
        unlink(path);
        sprintf(p, "%s-wal", path);
        unlink(p);
        sprintf(p, "%s-shm", path);
        unlink(p);
        free(p);
    }
    return NULL;
}

/* ---------------------------------------------------------------------
 * run.yaml: the provenance columns of the invocation row.
 * ------------------------------------------------------------------- */
typedef struct db_prov {
    char *command, *version, *revision, *command_line, *file, *overrides,
        *vary, *text;
} db_prov;

static void prov_free(db_prov *p)
{
    free(p->command);
    free(p->version);
    free(p->revision);
    free(p->command_line);
    free(p->file);
    free(p->overrides);
    free(p->vary);
    free(p->text);
}

/* A sequence of scalars as one string, one per line ("" when empty). */
static char *yaml_seq(yaml_document_t *d, yaml_node_t *n)
{
    size_t len = 1;
    char *s;

    for (yaml_node_item_t *i = n->data.sequence.items.start;
         i < n->data.sequence.items.top; i++) {
        yaml_node_t *v = yaml_document_get_node(d, *i);
        if (v && v->type == YAML_SCALAR_NODE)
            len += v->data.scalar.length + 1;
    }
    s = xmalloc(len);
    s[0] = '\0';
    for (yaml_node_item_t *i = n->data.sequence.items.start;
         i < n->data.sequence.items.top; i++) {
        yaml_node_t *v = yaml_document_get_node(d, *i);
        if (!v || v->type != YAML_SCALAR_NODE)
            continue;
        if (s[0])
            strcat(s, "\n");
        strncat(s, (const char *)v->data.scalar.value,
                v->data.scalar.length);
    }
    return s;
}

/* Reads dir/run.yaml into p (all NULL when there is none).  0, or -1
 * with a message for a file that is there but not YAML. */
static int prov_read(const char *dir, db_prov *p, char *err, size_t errlen)
{
    char *path = xmalloc(strlen(dir) + 16);
    yaml_parser_t ps;
    yaml_document_t d;
    yaml_node_t *root;
    FILE *fp;
    db_qbuf q;
    int rc = -1;

    memset(p, 0, sizeof *p);
    sprintf(path, "%s/run.yaml", dir);
    fp = fopen(path, "rb");
    if (!fp) {
        free(path);
        return 0;                      /* older results: no provenance */
    }
    if (!yaml_parser_initialize(&ps)) {
        fclose(fp);
        free(path);
        xmsg(err, errlen, "run.yaml: cannot initialise libyaml");
        return -1;
    }
    yaml_parser_set_input_file(&ps, fp);
    if (!yaml_parser_load(&ps, &d)) {  /* libyaml: 1 is success */
        xmsg(err, errlen, "%s:%zu: not YAML: %s", qp(q, path),
                ps.problem_mark.line + 1,
                ps.problem ? ps.problem : "parse error");
        goto out_parser;
    }
    root = yaml_document_get_root_node(&d);
    if (root && root->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
             pr < root->data.mapping.pairs.top; pr++) {
            yaml_node_t *k = yaml_document_get_node(&d, pr->key);
            yaml_node_t *v = yaml_document_get_node(&d, pr->value);
            const char *key;
            char **dst = NULL;

            if (!k || !v || k->type != YAML_SCALAR_NODE)
                continue;
            key = (const char *)k->data.scalar.value;
            if (!strcmp(key, "kmsim_version"))
                dst = &p->version;
            else if (!strcmp(key, "source_revision"))
                dst = &p->revision;
            else if (!strcmp(key, "command_line"))
                dst = &p->command_line;
            else if (!strcmp(key, "scenario_file"))
                dst = &p->file;
            else if (!strcmp(key, "scenario_text"))
                dst = &p->text;
            else if (!strcmp(key, "overrides"))
                dst = &p->overrides;
            else if (!strcmp(key, "vary"))
                dst = &p->vary;
            if (!strcmp(key, "argv") && v->type == YAML_SEQUENCE_NODE &&
                v->data.sequence.items.top - v->data.sequence.items.start >
                    1) {
                yaml_node_t *a = yaml_document_get_node(
                    &d, v->data.sequence.items.start[1]);
                if (a && a->type == YAML_SCALAR_NODE && !p->command)
                    p->command = xstrdup((const char *)a->data.scalar.value);
            }
            if (!dst || *dst)
                continue;
            if (v->type == YAML_SCALAR_NODE)
                *dst = xstrdup((const char *)v->data.scalar.value);
            else if (v->type == YAML_SEQUENCE_NODE)
                *dst = yaml_seq(&d, v);
        }
    }
    rc = 0;
    yaml_document_delete(&d);
out_parser:
    yaml_parser_delete(&ps);
    fclose(fp);
    free(path);
    return rc;
}

/* ---------------------------------------------------------------------
 * Storing a directory.
 * ------------------------------------------------------------------- */

/* State of one import. */
typedef struct db_imp {
    sim_db *db;
    int64_t inv;                 /* the invocation row                  */
    sqlite3_stmt *find_cfg, *add_cfg, *add_param, *row;
    sqlite3_stmt *set_cfg[4];    /* UPDATE config SET <col> (per col)   */
    char *last_key;              /* the configuration of the last row   */
    int64_t last_cfg;
    size_t configs, rows;
    char *err;
    size_t errlen;
} db_imp;

static int prep(db_imp *im, const char *sql, sqlite3_stmt **st)
{
    db_qbuf q;

    if (sqlite3_prepare_v2(im->db->h, sql, -1, st, NULL) == SQLITE_OK)
        return 0;
    xmsg(im->err, im->errlen, "--db %s: %s", qp(q, im->db->path),
            sqlite3_errmsg(im->db->h));
    return -1;
}

/* Steps a write statement and resets it.  0, or -1 with a message. */
static int step(db_imp *im, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    db_qbuf q;

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW)
        return 0;
    xmsg(im->err, im->errlen, "--db %s: cannot write: %s",
            qp(q, im->db->path), sqlite3_errmsg(im->db->h));
    return -1;
}

/* Binds CSV text s as column type `type` at index i.  0, or -1 (the text
 * is not of that type). */
static int bind_typed(sqlite3_stmt *st, int i, char type, const char *s)
{
    char *end;

    switch (type) {
    case 'i': {
        long long v;
        if (!*s || (*s != '-' && (*s < '0' || *s > '9')))
            return -1;
        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno || *end)
            return -1;
        return sqlite3_bind_int64(st, i, v) == SQLITE_OK ? 0 : -1;
    }
    case 'u':
        if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 20)
            return -1;
        errno = 0;
        (void)strtoull(s, &end, 10);
        if (errno)
            return -1;
        return sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) == SQLITE_OK
                   ? 0 : -1;
    case 'r': {
        double v;
        if (!*s)
            return sqlite3_bind_null(st, i) == SQLITE_OK ? 0 : -1;
        errno = 0;
        v = strtod(s, &end);
        if (*end || !isfinite(v) || isspace((unsigned char)*s))
            return -1;
        return sqlite3_bind_double(st, i, v) == SQLITE_OK ? 0 : -1;
    }
    default:
        return sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) == SQLITE_OK
                   ? 0 : -1;
    }
}

/* The parameter columns of a header (between the leading columns and
 * d's): is_si[j] 1 where column j is the ".si" of the one before it. */
typedef struct db_params {
    size_t first, n;             /* header indices [first, first + n)   */
    unsigned char *is_si;
} db_params;

/* The configuration of the row in c (creating it and its parameters).
 * Returns its id, or -1 with a message. */
static int64_t row_config(db_imp *im, const ana_csv_in *c,
                          const ana_csv_in *hdr, const db_params *pa)
{
    size_t len = 0;
    char *key, *params;
    int64_t id = -1;
    int rc;

    for (size_t i = 0; i < N_LEAD; i++)
        len += strlen(c->f[i]) + 1;
    for (size_t j = 0; j < pa->n; j++)
        len += strlen(hdr->f[pa->first + j]) + strlen(c->f[pa->first + j]) +
               3;
    key = xmalloc(len + 1);
    params = xmalloc(len + 1);
    key[0] = params[0] = '\0';
    for (size_t j = 0; j < pa->n; j++) {
        if (pa->is_si[j])
            continue;
        if (params[0])
            strcat(params, ", ");
        strcat(params, hdr->f[pa->first + j]);
        strcat(params, "=");
        strcat(params, c->f[pa->first + j]);
    }
    for (size_t i = 0; i < N_LEAD; i++) {
        strcat(key, c->f[i]);
        strcat(key, "\n");
    }
    strcat(key, params);
    if (im->last_key && !strcmp(key, im->last_key)) {
        free(key);
        free(params);
        return im->last_cfg;
    }
    sqlite3_bind_int64(im->find_cfg, 1, im->inv);
    sqlite3_bind_text(im->find_cfg, 2, c->f[2], -1, SQLITE_STATIC);
    sqlite3_bind_text(im->find_cfg, 3, c->f[3], -1, SQLITE_STATIC);
    sqlite3_bind_text(im->find_cfg, 4, params, -1, SQLITE_STATIC);
    rc = sqlite3_step(im->find_cfg);
    if (rc == SQLITE_ROW)
        id = sqlite3_column_int64(im->find_cfg, 0);
    sqlite3_reset(im->find_cfg);
    sqlite3_clear_bindings(im->find_cfg);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_qbuf q;
        xmsg(im->err, im->errlen, "--db %s: cannot read: %s",
                qp(q, im->db->path), sqlite3_errmsg(im->db->h));
        goto out;
    }
    if (id < 0) {
        sqlite3_bind_int64(im->add_cfg, 1, im->inv);
        sqlite3_bind_int64(im->add_cfg, 2, (int64_t)im->configs);
        for (int i = 0; i < N_LEAD; i++)
            sqlite3_bind_text(im->add_cfg, 3 + i, c->f[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(im->add_cfg, 7, params, -1, SQLITE_STATIC);
        if (step(im, im->add_cfg) != 0)
            goto out;
        id = sqlite3_last_insert_rowid(im->db->h);
        im->configs++;
        for (size_t j = 0, ord = 0; j < pa->n; j++) {
            const char *col = hdr->f[pa->first + j], *path = col;
            char *p;
            size_t pl;

            if (pa->is_si[j])
                continue;
            /* the --set path of a column renamed "param.<path>" or
             * "param.<path>.<k>", k its override's position
             * (sim_run_param_col) */
            if (!strncmp(col, "param.", 6))
                path = col + 6;
            p = xstrdup(path);
            pl = strlen(p);
            if (path != col) {
                char sfx[32];
                size_t sl = (size_t)snprintf(sfx, sizeof sfx, ".%zu",
                                             ord + 1);
                if (pl > sl && !strcmp(p + pl - sl, sfx))
                    p[pl - sl] = '\0';
            }
            sqlite3_bind_int64(im->add_param, 1, id);
            sqlite3_bind_int64(im->add_param, 2, (int64_t)ord++);
            sqlite3_bind_text(im->add_param, 3, p, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(im->add_param, 4, col, -1, SQLITE_STATIC);
            sqlite3_bind_text(im->add_param, 5, c->f[pa->first + j], -1,
                              SQLITE_STATIC);
            if (j + 1 < pa->n && pa->is_si[j + 1] &&
                bind_typed(im->add_param, 6, 'r',
                           c->f[pa->first + j + 1]) != 0) {
                db_qbuf q;
                free(p);
                xmsg(im->err, im->errlen, "%s:%zu: column %s: not a "
                        "number", qp(q, c->path), c->line,
                        hdr->f[pa->first + j + 1]);
                id = -1;
                goto out;
            }
            free(p);
            if (step(im, im->add_param) != 0) {
                id = -1;
                goto out;
            }
        }
    }
    free(im->last_key);
    im->last_key = key;
    key = NULL;
    im->last_cfg = id;
out:
    free(key);
    free(params);
    return id;
}

/* Stores every row of dir/<d->file>.  SIM_EXIT_* with a message. */
static int import_file(db_imp *im, const char *dir, const db_file *d,
                       volatile sig_atomic_t *stop)
{
    char *path = xmalloc(strlen(dir) + strlen(d->file) + 2);
    char *sql;
    ana_csv_in hdr, c;
    db_params pa = {0, 0, NULL};
    db_qbuf q;
    size_t len, ncfg = 0;
    int rc = SIM_EXIT_INPUT, r;
    size_t cfgcol[8];

    sprintf(path, "%s/%s", dir, d->file);
    memset(&hdr, 0, sizeof hdr);
    if (d->optional && access(path, F_OK) != 0 && errno == ENOENT) {
        free(path);
        return SIM_EXIT_OK;
    }
    if (ana_csv_in_load(&c, path, im->err, im->errlen) != 0) {
        rc = SIM_EXIT_FAIL;
        ana_csv_in_free(&c);
        free(path);
        return rc;
    }
    r = ana_csv_in_row(&c, im->err, im->errlen);
    if (r <= 0) {
        if (r == 0)
            xmsg(im->err, im->errlen, "%s:1: no header row", qp(q, path));
        goto out;
    }
    /* the header: the leading columns, the parameters, d's columns */
    if (c.nf < N_LEAD + d->ncols) {
        xmsg(im->err, im->errlen, "%s:1: %zu columns, not a kmsim %s "
                "header", qp(q, path), c.nf, d->file);
        goto out;
    }
    for (size_t i = 0; i < c.nf; i++) {
        const char *want = i < N_LEAD ? lead[i]
                           : i >= c.nf - d->ncols
                               ? d->cols[i - (c.nf - d->ncols)].name
                               : NULL;
        if (want && strcmp(c.f[i], want) != 0) {
            xmsg(im->err, im->errlen, "%s:1: column %zu is '%s', not "
                    "'%s': not a kmsim %s header", qp(q, path), i + 1,
                    c.f[i], want, d->file);
            goto out;
        }
    }
    hdr.f = xcalloc(c.nf, sizeof *hdr.f);
    hdr.nf = c.nf;
    hdr.text = xmalloc(c.len + 1);       /* the header's strings, kept */
    {
        size_t o = 0;
        for (size_t i = 0; i < c.nf; i++) {
            size_t l = strlen(c.f[i]) + 1;
            memcpy(hdr.text + o, c.f[i], l);
            hdr.f[i] = hdr.text + o;
            o += l;
        }
    }
    pa.first = N_LEAD;
    pa.n = c.nf - N_LEAD - d->ncols;
    pa.is_si = xcalloc(pa.n + 1, 1);
    for (size_t j = 1; j < pa.n; j++) {
        const char *a = hdr.f[N_LEAD + j - 1], *b = hdr.f[N_LEAD + j];
        size_t la = strlen(a);
        pa.is_si[j] = !pa.is_si[j - 1] && !strncmp(a, b, la) &&
                      !strcmp(b + la, ".si");
    }
    /* INSERT INTO table(config, cols...) VALUES (?, ...) */
    len = 64 + strlen(d->table);
    for (size_t i = 0; i < d->ncols; i++)
        len += strlen(d->cols[i].name) + 4;
    sql = xmalloc(len);
    sprintf(sql, "INSERT INTO %s(config", d->table);
    for (size_t i = 0; i < d->ncols; i++)
        if (!d->cols[i].config)
            strcat(strcat(sql, ", "), d->cols[i].name);
    strcat(sql, ") VALUES (?");
    for (size_t i = 0; i < d->ncols; i++)
        if (!d->cols[i].config)
            strcat(sql, ", ?");
    strcat(sql, ")");
    r = prep(im, sql, &im->row);
    free(sql);
    if (r != 0) {
        rc = SIM_EXIT_FAIL;
        goto out;
    }
    for (size_t i = 0; i < d->ncols; i++) {
        char s[128];
        if (!d->cols[i].config)
            continue;
        snprintf(s, sizeof s, "UPDATE config SET %s = ? WHERE id = ?",
                 d->cols[i].name);
        cfgcol[ncfg] = i;
        if (prep(im, s, &im->set_cfg[ncfg++]) != 0) {
            rc = SIM_EXIT_FAIL;
            goto out;
        }
    }
    while ((r = ana_csv_in_row(&c, im->err, im->errlen)) == 1) {
        size_t base = c.nf - d->ncols;
        int64_t cfg;
        int k = 2;

        if (stop && *stop) {
            xmsg(im->err, im->errlen, "interrupted");
            rc = SIM_EXIT_FAIL;
            goto out;
        }
        if (c.nf != hdr.nf) {
            xmsg(im->err, im->errlen, "%s:%zu: %zu fields, the header "
                    "has %zu", qp(q, path), c.line, c.nf, hdr.nf);
            goto out;
        }
        cfg = row_config(im, &c, &hdr, &pa);
        if (cfg < 0) {
            if (strstr(im->err, "--db "))
                rc = SIM_EXIT_FAIL;
            goto out;
        }
        sqlite3_bind_int64(im->row, 1, cfg);
        for (size_t i = 0; i < d->ncols; i++) {
            sqlite3_stmt *st = im->row;
            int at = k;
            for (size_t m = 0; d->cols[i].config && m < ncfg; m++)
                if (cfgcol[m] == i) {
                    st = im->set_cfg[m];
                    at = 1;
                }
            if (bind_typed(st, at, d->cols[i].type, c.f[base + i]) != 0) {
                xmsg(im->err, im->errlen, "%s:%zu: column %s: '%s' is "
                        "not %s", qp(q, path), c.line, d->cols[i].name,
                        c.f[base + i],
                        d->cols[i].type == 'r' ? "a number"
                        : d->cols[i].type == 't' ? "text" : "an integer");
                sqlite3_reset(st);
                sqlite3_clear_bindings(st);
                goto out;
            }
            if (st != im->row) {
                sqlite3_bind_int64(st, 2, cfg);
                if (step(im, st) != 0) {
                    rc = SIM_EXIT_FAIL;
                    goto out;
                }
            } else
                k++;
        }
        if (sqlite3_step(im->row) != SQLITE_DONE) {
            xmsg(im->err, im->errlen, "%s:%zu: cannot store the row: %s",
                    qp(q, path), c.line, sqlite3_errmsg(im->db->h));
            rc = sqlite3_errcode(im->db->h) == SQLITE_CONSTRAINT
                     ? SIM_EXIT_INPUT : SIM_EXIT_FAIL;
            sqlite3_reset(im->row);
            goto out;
        }
        sqlite3_reset(im->row);
        sqlite3_clear_bindings(im->row);
        im->rows++;
    }
    if (r == 0)
        rc = SIM_EXIT_OK;
out:
    sqlite3_finalize(im->row);
    im->row = NULL;
    for (size_t m = 0; m < ncfg; m++) {
        sqlite3_finalize(im->set_cfg[m]);
        im->set_cfg[m] = NULL;
    }
    free(pa.is_si);
    free(hdr.f);
    free(hdr.text);
    ana_csv_in_free(&c);
    free(path);
    return rc;
}

/* BLAKE2b of the db_files' bytes and run.yaml's (each length-prefixed;
 * an absent run.yaml or optional file hashes as length 2^64-1) into hex:
 * the identity of a stored directory. */
static int files_hash(const char *dir, char hex[2 * CRY_HASH_BYTES + 1],
                      char *err, size_t errlen)
{
    cry_hash_state hs;
    unsigned char h[CRY_HASH_BYTES];

    cry_hash_init(&hs);
    for (size_t f = 0; f <= ARRAY_LEN(db_files); f++) {
        const char *name = f < ARRAY_LEN(db_files) ? db_files[f].file
                                                   : "run.yaml";
        char *path = xmalloc(strlen(dir) + strlen(name) + 2);
        ana_csv_in c;
        uint64_t n;

        sprintf(path, "%s/%s", dir, name);
        if ((f == ARRAY_LEN(db_files) || db_files[f].optional) &&
            access(path, F_OK) != 0) {
            n = UINT64_MAX;                /* absent */
            cry_hash_update(&hs, &n, sizeof n);
            free(path);
            continue;
        }
        if (ana_csv_in_load(&c, path, err, errlen) != 0) {
            ana_csv_in_free(&c);
            free(path);
            cry_hash_final(&hs, h);
            return -1;
        }
        n = c.len;
        cry_hash_update(&hs, &n, sizeof n);
        cry_hash_update(&hs, c.text, c.len);
        ana_csv_in_free(&c);
        free(path);
    }
    cry_hash_final(&hs, h);
    cry_hex(hex, h, sizeof h);
    return 0;
}

int sim_db_import(sim_db *db, const char *dir, volatile sig_atomic_t *stop,
                  sim_db_stat *st, char *err, size_t errlen)
{
    char hash[2 * CRY_HASH_BYTES + 1];
    db_imp im;
    db_prov p;
    sqlite3_stmt *s = NULL;
    int rc = SIM_EXIT_FAIL, code;
    db_qbuf q;

    memset(st, 0, sizeof *st);
    memset(&im, 0, sizeof im);
    memset(&p, 0, sizeof p);
    im.db = db;
    im.err = err;
    im.errlen = errlen;
    if (files_hash(dir, hash, err, errlen) != 0)
        return SIM_EXIT_FAIL;
    if (prov_read(dir, &p, err, errlen) != 0)
        return SIM_EXIT_INPUT;
    /* One writer at a time: BEGIN IMMEDIATE waits (busy timeout) for
     * another process's transaction instead of failing halfway. */
    if (sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
        SQLITE_OK) {
        code = sqlite3_errcode(db->h);
        xmsg(err, errlen, "--db %s: %s", qp(q, db->path),
                code == SQLITE_BUSY
                    ? "database locked by another process for 10 s"
                    : sqlite3_errmsg(db->h));
        prov_free(&p);
        return SIM_EXIT_FAIL;
    }
    if (prep(&im, "SELECT id FROM invocation WHERE files_hash = ?", &s) != 0)
        goto out;
    sqlite3_bind_text(s, 1, hash, -1, SQLITE_STATIC);
    code = sqlite3_step(s);
    if (code == SQLITE_ROW) {
        st->invocation = sqlite3_column_int64(s, 0);
        st->skipped = 1;
        rc = SIM_EXIT_OK;
        goto out;
    }
    sqlite3_finalize(s);
    s = NULL;
    if (prep(&im, "INSERT INTO invocation(command, directory, files_hash, "
                  "kmsim_version, source_revision, command_line, "
                  "scenario_file, overrides, vary, scenario_text) VALUES "
                  "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &s) != 0)
        goto out;
    {
        const char *v[] = {p.command, dir, hash, p.version, p.revision,
                           p.command_line, p.file, p.overrides, p.vary,
                           p.text};
        for (int i = 0; i < (int)ARRAY_LEN(v); i++)
            sqlite3_bind_text(s, i + 1, v[i], -1, SQLITE_STATIC);
    }
    if (step(&im, s) != 0)
        goto out;
    im.inv = sqlite3_last_insert_rowid(db->h);
    if (prep(&im, "SELECT id FROM config WHERE invocation = ? AND "
                  "scenario_hash = ? AND protocol = ? AND params = ?",
             &im.find_cfg) != 0 ||
        prep(&im, "INSERT INTO config(invocation, ordinal, kmsim_version, "
                  "scenario, scenario_hash, protocol, params) VALUES (?, ?, "
                  "?, ?, ?, ?, ?)", &im.add_cfg) != 0 ||
        prep(&im, "INSERT INTO param(config, ordinal, path, csv_column, "
                  "value, si) VALUES (?, ?, ?, ?, ?, ?)",
             &im.add_param) != 0)
        goto out;
    for (size_t f = 0; f < ARRAY_LEN(db_files); f++)
        if ((rc = import_file(&im, dir, &db_files[f], stop)) != SIM_EXIT_OK)
            goto out;
    rc = SIM_EXIT_FAIL;
    if (stop && *stop) {
        xmsg(err, errlen, "interrupted");
        goto out;
    }
    if (sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        xmsg(err, errlen, "--db %s: cannot commit: %s", qp(q, db->path),
                sqlite3_errmsg(db->h));
        goto out;
    }
    st->invocation = im.inv;
    st->configs = im.configs;
    st->rows = im.rows;
    rc = SIM_EXIT_OK;
out:
    sqlite3_finalize(s);
    sqlite3_finalize(im.find_cfg);
    sqlite3_finalize(im.add_cfg);
    sqlite3_finalize(im.add_param);
    free(im.last_key);
    if (rc != SIM_EXIT_OK || st->skipped)
        sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
    prov_free(&p);
    return rc;
}

/* The line printed for a stored (or skipped) directory. */
static void print_stat(FILE *out, const char *path, const char *dir,
                       const sim_db_stat *st)
{
    db_qbuf q1, q2;

    if (st->skipped)
        fprintf(out, "%s: %s already stored (invocation %" PRId64 "); not "
                "stored again\n", qp(q1, path), qp(q2, dir), st->invocation);
    else
        fprintf(out, "%s: stored %s as invocation %" PRId64 " (%zu "
                "configuration%s, %zu rows)\n", qp(q1, path), qp(q2, dir),
                st->invocation, st->configs, st->configs == 1 ? "" : "s",
                st->rows);
}

int sim_db_store(const char *path, const char *dir,
                 volatile sig_atomic_t *stop, FILE *out, char *err,
                 size_t errlen)
{
    sim_db_stat st;
    int rc;
    sim_db *db = sim_db_open(path, &rc, err, errlen);

    if (!db)
        return rc;
    rc = sim_db_import(db, dir, stop, &st, err, errlen);
    sim_db_close(db);
    if (rc == SIM_EXIT_OK && out) {
        fputs("      ", out);
        print_stat(out, path, dir, &st);
    }
    return rc;
}

/* ---------------------------------------------------------------------
 * kmsim db
 * ------------------------------------------------------------------- */
static const char db_usage[] =
    "usage: kmsim db import --db FILE DIR...\n"
    "                                     store result directories (runs.csv,\n"
    "                                     summary.csv, replications.csv,\n"
    "                                     series.csv and histograms.csv\n"
    "                                     where present, run.yaml) in the\n"
    "                                     SQLite database FILE (created if\n"
    "                                     absent); a DIR\n"
    "                                     without runs.csv: each subdirectory\n"
    "                                     with one (kmsim compare's); files\n"
    "                                     already stored are skipped\n"
    "       kmsim db --help\n"
    "  --db FILE           the database (kmsim extension; schema in the\n"
    "                      README, Results database)\n"
    "  -q, --quiet         no line per directory\n"
    "  -h, --help          this help\n";

static int has_runs(const char *dir)
{
    char *p = xmalloc(strlen(dir) + 16);
    struct stat stb;
    int ok;

    sprintf(p, "%s/runs.csv", dir);
    ok = stat(p, &stb) == 0 && S_ISREG(stb.st_mode);
    free(p);
    return ok;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Stores dir, or each subdirectory of it with a runs.csv (in name
 * order).  The worst SIM_EXIT_* status; messages on stderr. */
static int import_arg(sim_db *db, const char *path, const char *dir,
                      volatile sig_atomic_t *stop, int quiet)
{
    char err[1024];
    sim_db_stat st;
    db_qbuf q;
    int rc;

    if (has_runs(dir)) {
        /* the lock kmsim run, compare and sweep hold while they write
         * the directory: never read files half replaced */
        int busy = 0, lock = sim_run_lock(dir, &busy, err, sizeof err);

        if (lock < 0) {
            fprintf(stderr, "kmsim db: %s: %s\n", qp(q, dir), err);
            return SIM_EXIT_FAIL;
        }
        rc = sim_db_import(db, dir, stop, &st, err, sizeof err);
        close(lock);
        if (rc != SIM_EXIT_OK)
            fprintf(stderr, "kmsim db: %s: %s\n", qp(q, dir), err);
        else if (!quiet)
            print_stat(stdout, path, dir, &st);
        return rc;
    } else {
        DIR *d = opendir(dir);
        struct dirent *e;
        char **subs = NULL;
        size_t n = 0, cap = 0;
        int worst = SIM_EXIT_OK;

        if (!d) {
            fprintf(stderr, "kmsim db: %s: cannot open: %s\n", qp(q, dir),
                    strerror(errno));
            return SIM_EXIT_INPUT;
        }
        while ((e = readdir(d)) != NULL) {
            char *s;
            if (e->d_name[0] == '.')
                continue;
            s = xmalloc(strlen(dir) + strlen(e->d_name) + 2);
            sprintf(s, "%s/%s", dir, e->d_name);
            if (!has_runs(s)) {
                free(s);
                continue;
            }
            if (n == cap) {
                cap = cap ? 2 * cap : 8;
                subs = xreallocarray(subs, cap, sizeof *subs);
            }
            subs[n++] = s;
        }
        closedir(d);
        if (n == 0) {
            fprintf(stderr, "kmsim db: %s: no runs.csv in it nor in a "
                    "subdirectory: not a kmsim result directory\n",
                    qp(q, dir));
            return SIM_EXIT_INPUT;
        }
        qsort(subs, n, sizeof *subs, cmp_str);
        for (size_t i = 0; i < n; i++) {
            if (worst == SIM_EXIT_OK && !(stop && *stop))
                rc = import_arg(db, path, subs[i], stop, quiet);
            else
                rc = SIM_EXIT_OK;
            if (rc != SIM_EXIT_OK && worst != SIM_EXIT_INPUT)
                worst = rc;
            free(subs[i]);
        }
        free(subs);
        return worst;
    }
}

int sim_db_main(int argc, char **argv, volatile sig_atomic_t *stop)
{
    const char *path = NULL;
    int quiet = 0, i, rc = SIM_EXIT_OK, ndirs = 0;
    char err[1024], q[128];
    sim_db *db;

    for (i = 2; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(db_usage, stdout);
            return SIM_EXIT_OK;
        }
    if (argc < 3 || strcmp(argv[2], "import") != 0) {
        if (argc >= 3)
            sim_units_quote(q, sizeof q, argv[2]);
        fprintf(stderr, argc < 3 ? "kmsim db: expected a subcommand: import "
                "(kmsim db --help)\n" : "kmsim db: unknown subcommand '%s' "
                "(kmsim db --help)\n", q);
        return SIM_EXIT_INPUT;
    }
    for (i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--db") || !strncmp(argv[i], "--db=", 5)) {
            const char *v = argv[i][4] == '=' ? argv[i] + 5
                            : i + 1 < argc ? argv[++i] : NULL;
            if (!v || !*v) {
                fprintf(stderr, "kmsim db: --db needs a FILE\n");
                return SIM_EXIT_INPUT;
            }
            if (path) {
                fprintf(stderr, "kmsim: --db given more than once\n");
                return SIM_EXIT_INPUT;
            }
            path = v;
        } else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
            quiet = 1;
        } else if (!strcmp(argv[i], "--")) {
            ndirs += argc - i - 1;
            break;
        } else if (argv[i][0] == '-') {
            sim_units_quote(q, sizeof q, argv[i]);
            fprintf(stderr, "kmsim db import: unknown option '%s' (kmsim db "
                    "--help)\n", q);
            return SIM_EXIT_INPUT;
        } else
            ndirs++;
    }
    if (!path || ndirs == 0) {
        fprintf(stderr, "kmsim db import: expected --db FILE and at least "
                "one DIR (kmsim db --help)\n");
        return SIM_EXIT_INPUT;
    }
    db = sim_db_open(path, &rc, err, sizeof err);
    if (!db) {
        fprintf(stderr, "kmsim: %s\n", err);
        return rc;
    }
    for (i = 3; i < argc; i++) {
        int r, dashdash = 0;
        if (!strcmp(argv[i], "--db")) {
            i++;
            continue;
        }
        if (!strncmp(argv[i], "--db=", 5) || !strcmp(argv[i], "-q") ||
            !strcmp(argv[i], "--quiet"))
            continue;
        if (!strcmp(argv[i], "--")) {
            dashdash = 1;
            i++;
        }
        for (; i < argc; i++) {
            if (stop && *stop)
                break;
            r = import_arg(db, path, argv[i], stop, quiet);
            if (r != SIM_EXIT_OK && rc != SIM_EXIT_INPUT)
                rc = r;
            if (!dashdash)
                break;
        }
    }
    sim_db_close(db);
    if (stop && *stop && rc == SIM_EXIT_OK)
        rc = SIM_EXIT_FAIL;
    return rc;
}
