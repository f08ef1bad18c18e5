/* keyscan.c — for tests/secrets.sh: looks for key values in files.
 *
 *   keyscan KEYLOG FILE...
 *
 * KEYLOG holds one key per line in hex (what tests/kmsim-keylog writes).
 * Every 8-byte window of every key (except windows with more than one zero
 * byte: the zero padding of Di Pietro's short keys would match any run of
 * zeros) is looked for in each FILE as raw bytes, as hex of either case
 * and as base64 (standard or URL alphabet, at any alignment: a 12-character
 * window decodes to 9 bytes, and one of three consecutive offsets is
 * aligned with the encoder's groups).  Prints each hit; exits 0 if none,
 * 1 if any, 2 on a usage or I/O error. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_BYTES 32
#define WIN 8

typedef struct wset {         /* open addressing, 0 = empty slot */
    uint64_t *v;
    size_t mask, n;           /* 0 (all zero bytes) is never a window  */
} wset;

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static void wset_add(wset *s, uint64_t x)
{
    size_t i = (size_t)mix(x) & s->mask;

    while (s->v[i] && s->v[i] != x)
        i = (i + 1) & s->mask;
    if (!s->v[i]) {
        s->v[i] = x;
        s->n++;
    }
}

static int wset_has(const wset *s, uint64_t x)
{
    size_t i = (size_t)mix(x) & s->mask;

    if (x == 0)
        return 0;
    while (s->v[i]) {
        if (s->v[i] == x)
            return 1;
        i = (i + 1) & s->mask;
    }
    return 0;
}

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int b64val(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A'
           : c >= 'a' && c <= 'z' ? c - 'a' + 26
           : c >= '0' && c <= '9' ? c - '0' + 52
           : c == '+' || c == '-' ? 62
           : c == '/' || c == '_' ? 63 : -1;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0, r;

    if (!f)
        return NULL;
    do {
        if (n == cap) {
            cap = cap ? 2 * cap : 65536;
            buf = realloc(buf, cap);
            if (!buf) {
                fclose(f);
                return NULL;
            }
        }
        r = fread(buf + n, 1, cap - n, f);
        n += r;
    } while (r > 0);
    if (ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n;
    return buf ? buf : malloc(1);
}

/* Loads the windows of every key of the log; -1 on a malformed line. */
static int load_keys(const char *path, wset *s, size_t *nkeys)
{
    size_t len, nlines = 0, i = 0;
    unsigned char *t = slurp(path, &len);

    if (!t)
        return -1;
    for (size_t j = 0; j < len; j++)
        nlines += t[j] == '\n';
    s->mask = 1;
    while (s->mask < 4 * (nlines * (KEY_BYTES - WIN + 1) + 1))
        s->mask <<= 1;
    s->v = calloc(s->mask, sizeof *s->v);
    s->mask--;
    if (!s->v) {
        free(t);
        return -1;
    }
    *nkeys = 0;
    while (i < len) {
        unsigned char k[KEY_BYTES];
        if (len - i < 2 * KEY_BYTES + 1 || t[i + 2 * KEY_BYTES] != '\n')
            goto bad;
        for (size_t b = 0; b < KEY_BYTES; b++) {
            int hi = hexval(t[i + 2 * b]), lo = hexval(t[i + 2 * b + 1]);
            if (hi < 0 || lo < 0)
                goto bad;
            k[b] = (unsigned char)(hi << 4 | lo);
        }
        for (size_t o = 0; o + WIN <= KEY_BYTES; o++) {
            uint64_t x;
            int zeros = 0;
            for (size_t b = 0; b < WIN; b++)
                zeros += k[o + b] == 0;
            if (zeros > 1)
                continue;
            memcpy(&x, k + o, WIN);
            wset_add(s, x);
        }
        (*nkeys)++;
        i += 2 * KEY_BYTES + 1;
    }
    free(t);
    return 0;
bad:
    fprintf(stderr, "keyscan: %s: malformed line at byte %zu\n", path, i);
    free(t);
    return -1;
}

/* Number of hits in file `path` (each printed), or -1 if unreadable. */
static long scan(const wset *s, const char *path)
{
    size_t n;
    unsigned char *b = slurp(path, &n), w[9];
    long hits = 0;

    if (!b)
        return -1;
    for (size_t i = 0; i < n; i++) {
        uint64_t x;
        int ok;
        if (n - i >= WIN) {
            memcpy(&x, b + i, WIN);
            if (wset_has(s, x)) {
                printf("%s: offset %zu: key bytes (raw)\n", path, i);
                hits++;
            }
        }
        if (n - i >= 2 * WIN) {
            ok = 1;
            for (size_t k = 0; k < WIN && ok; k++) {
                int hi = hexval(b[i + 2 * k]), lo = hexval(b[i + 2 * k + 1]);
                ok = hi >= 0 && lo >= 0;
                if (ok)
                    w[k] = (unsigned char)(hi << 4 | lo);
            }
            if (ok) {
                memcpy(&x, w, WIN);
                if (wset_has(s, x)) {
                    printf("%s: offset %zu: key bytes in hex\n", path, i);
                    hits++;
                }
            }
        }
        if (n - i >= 12) {
            ok = 1;
            for (size_t g = 0; g < 3 && ok; g++) {
                int c[4];
                for (size_t k = 0; k < 4 && ok; k++)
                    ok = (c[k] = b64val(b[i + 4 * g + k])) >= 0;
                if (!ok)
                    break;
                w[3 * g] = (unsigned char)(c[0] << 2 | c[1] >> 4);
                w[3 * g + 1] = (unsigned char)((c[1] & 15) << 4 | c[2] >> 2);
                w[3 * g + 2] = (unsigned char)((c[2] & 3) << 6 | c[3]);
            }
            if (ok) {
                memcpy(&x, w, WIN);
                if (wset_has(s, x)) {
                    printf("%s: offset %zu: key bytes in base64\n", path, i);
                    hits++;
                }
            }
        }
    }
    free(b);
    return hits;
}

int main(int argc, char **argv)
{
    wset s = {NULL, 0, 0};
    size_t nkeys;
    long total = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: keyscan KEYLOG FILE...\n");
        return 2;
    }
    if (load_keys(argv[1], &s, &nkeys) != 0) {
        fprintf(stderr, "keyscan: cannot load %s\n", argv[1]);
        free(s.v);
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        long h = scan(&s, argv[i]);
        if (h < 0) {
            fprintf(stderr, "keyscan: cannot read %s\n", argv[i]);
            free(s.v);
            return 2;
        }
        total += h;
    }
    printf("keyscan: %zu keys (%zu windows), %d files, %ld hits\n", nkeys,
           s.n, argc - 2, total);
    free(s.v);
    return total ? 1 : 0;
}
