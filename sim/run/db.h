/* db.h — the SQLite results database (kmsim extension, issue 23): --db
 * FILE on kmsim run, compare and sweep, and kmsim db import, store result
 * directories (runs.csv, summary.csv, replications.csv, run.yaml, and
 * series.csv and histograms.csv where present) in one
 * database with a documented schema (README, "Results database").
 *
 * A directory is stored by reading back the files kmsim has just put in
 * place (or an older run left), so the database holds exactly the CSVs'
 * values; one directory is one transaction (BEGIN IMMEDIATE ... COMMIT):
 * all of its rows or none.  The tables come from one list of CSV file
 * descriptions in db.c (db_files): a new CSV file is one more entry. */
#ifndef KMSIM_DB_H
#define KMSIM_DB_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* PRAGMA application_id of a kmsim database ("kmsd") and PRAGMA
 * user_version of the schema this kmsim writes; a database of another
 * version is refused, never migrated silently. */
#define SIM_DB_APP_ID 0x6b6d7364
#define SIM_DB_VERSION 1
/* How long a writer waits for another process's transaction (ms). */
#define SIM_DB_BUSY_MS 10000

typedef struct sim_db sim_db;  /* opaque: one open connection */

/* Opens (creating when absent or empty) the database at path: the schema
 * is created if absent; WAL journal, busy timeout SIM_DB_BUSY_MS, foreign
 * keys on.  NULL with one line in err (naming the file) and *rc =
 * SIM_EXIT_INPUT (not an SQLite file, another application's database,
 * another schema version) or SIM_EXIT_FAIL (cannot open or create); a
 * file this call created is removed again then.  sim_db_close(NULL) is a
 * no-op. */
sim_db *sim_db_open(const char *path, int *rc, char *err, size_t errlen);
void sim_db_close(sim_db *db);

/* What sim_db_import did. */
typedef struct sim_db_stat {
    int64_t invocation;   /* the invocation row (the existing one if     */
                          /*   skipped)                                  */
    int skipped;          /* 1: the same files were already stored       */
    size_t configs;       /* configurations stored                       */
    size_t rows;          /* data rows stored, every table               */
} sim_db_stat;

/* Stores result directory dir (its runs.csv, summary.csv,
 * replications.csv and, when present, series.csv, histograms.csv and
 * run.yaml) in one transaction.  The same files already stored (BLAKE2b of their bytes) are skipped,
 * not duplicated.  stop (may be NULL) set: rolled back.  Returns
 * SIM_EXIT_OK, SIM_EXIT_INPUT (a malformed file: err names file:line) or
 * SIM_EXIT_FAIL (I/O, the database locked past the busy timeout,
 * interrupted); on failure nothing of dir is in the database. */
int sim_db_import(sim_db *db, const char *dir, volatile sig_atomic_t *stop,
                  sim_db_stat *st, char *err, size_t errlen);

/* Opens path, stores dir, closes (kmsim run/compare/sweep --db).  Unless
 * out is NULL prints one line on it ("      FILE: invocation N, ..." or
 * "... already stored").  Returns a SIM_EXIT_* status, err as above. */
int sim_db_store(const char *path, const char *dir,
                 volatile sig_atomic_t *stop, FILE *out, char *err,
                 size_t errlen);

/* kmsim db import --db FILE DIR... (a DIR without runs.csv: each of its
 * subdirectories that has one, e.g. kmsim compare's) and kmsim db
 * --help; argv[1] is "db".  Returns the exit status. */
int sim_db_main(int argc, char **argv, volatile sig_atomic_t *stop);

#endif
