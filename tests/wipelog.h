/* wipelog.h — for tests: records every wipe of key values the key stores
 * report (cry_set_wipe_hook_for_tests): which handles cry_key_free wiped,
 * which stores' regions cry_keystore_free wiped, and whether any wipe
 * left a non-zero byte.  Reads the bytes only inside the callback, never
 * after the memory is released. */
#ifndef KMSIM_WIPELOG_H
#define KMSIM_WIPELOG_H

#include <string.h>
#include "cry.h"
#include "cry_key.h"

#define WIPELOG_MAX 4096

typedef struct wipelog {
    size_t n_keys;                        /* cry_key_free wipes           */
    size_t n_regions;                     /* regions wiped at store free  */
    size_t region_bytes;
    size_t nonzero;                       /* wipes that left a byte set   */
    const cry_keystore *store[64];        /* stores whose regions were    */
    size_t n_store;                       /*   wiped (distinct)           */
    const cry_keystore *key_ks[WIPELOG_MAX];  /* (store, handle) of the   */
    cry_key key[WIPELOG_MAX];                 /*   first key wipes        */
    size_t n_logged;
} wipelog;

static inline void wipelog_fn(void *ctx, const cry_keystore *ks, cry_key k,
                       const unsigned char *p, size_t len)
{
    wipelog *l = ctx;

    if (!cry_is_zero(p, len))
        l->nonzero++;
    if (k) {
        l->n_keys++;
        if (l->n_logged < WIPELOG_MAX) {
            l->key_ks[l->n_logged] = ks;
            l->key[l->n_logged++] = k;
        }
        return;
    }
    l->n_regions++;
    l->region_bytes += len;
    for (size_t i = 0; i < l->n_store; i++)
        if (l->store[i] == ks)
            return;
    if (l->n_store < sizeof l->store / sizeof l->store[0])
        l->store[l->n_store++] = ks;
}

static inline void wipelog_start(wipelog *l)
{
    memset(l, 0, sizeof *l);
    cry_set_wipe_hook_for_tests(wipelog_fn, l);
}

static inline void wipelog_stop(void)
{
    cry_set_wipe_hook_for_tests(NULL, NULL);
}

/* 1 if cry_key_free wiped handle k of store ks since wipelog_start. */
static inline int wipelog_has_key(const wipelog *l, const cry_keystore *ks,
                           cry_key k)
{
    for (size_t i = 0; i < l->n_logged; i++)
        if (l->key_ks[i] == ks && l->key[i] == k)
            return 1;
    return 0;
}

/* 1 if cry_keystore_free wiped the regions of store ks (the pointer is
 * only compared: the store is gone). */
static inline int wipelog_has_store(const wipelog *l, const cry_keystore *ks)
{
    for (size_t i = 0; i < l->n_store; i++)
        if (l->store[i] == ks)
            return 1;
    return 0;
}

#endif
