/* replay.c — runs a libFuzzer harness without libFuzzer: each argument
 * (a file, or a directory of files) is read and passed to
 * LLVMFuzzerTestOneInput once.  make check uses it to replay the saved
 * crashing inputs and the seed corpora of fuzz/ under gcc (and under the
 * sanitizer build); a crash or an invariant's abort fails the test. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    return 0;
}

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0, k;

    if (!f) {
        perror(path);
        return -1;
    }
    do {
        if (len == cap) {
            unsigned char *nb;
            cap = cap ? 2 * cap : 4096;
            if (!(nb = realloc(buf, cap))) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = nb;
        }
        k = fread(buf + len, 1, cap - len, f);
        len += k;
    } while (k > 0);
    if (ferror(f)) {
        perror(path);
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files of a directory, in name order (so a failure is reproducible
 * from its position in the log). */
static int run_dir(const char *dir, unsigned *n)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t k = 0, cap = 0;
    int rc = 0;

    if (!d) {
        perror(dir);
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (k == cap) {
            char **nn;
            cap = cap ? 2 * cap : 64;
            if (!(nn = realloc(names, cap * sizeof *names))) {
                rc = -1;
                break;
            }
            names = nn;
        }
        if (!(names[k] = strdup(e->d_name))) {
            rc = -1;
            break;
        }
        k++;
    }
    closedir(d);
    if (k)
        qsort(names, k, sizeof *names, cmp_str);
    for (size_t i = 0; i < k; i++) {
        char path[4096];
        if (rc == 0) {
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            if (run_file(path) != 0)
                rc = -1;
            else
                (*n)++;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    unsigned n = 0;
    int rc = 0;

    LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            rc = 1;
        } else if (S_ISDIR(st.st_mode) ? run_dir(argv[i], &n) != 0
                                       : (run_file(argv[i]) != 0 ||
                                          (n++, 0))) {
            rc = 1;
        }
    }
    printf("%s: %u inputs replayed\n", argv[0], n);
    return rc;
}
