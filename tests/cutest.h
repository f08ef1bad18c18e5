/* cutest.h — shared CUnit boilerplate: every test program registers its
 * suites in `register_tests` and calls CUTEST_MAIN (CUTEST_MAIN_WITH when
 * it must set something up first).  Exit status follows
 * automake: 0 pass, 1 fail, 99 hard error. */
#ifndef KMSIM_CUTEST_H
#define KMSIM_CUTEST_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <CUnit/Basic.h>

#ifndef TEST_SRCDIR
#define TEST_SRCDIR "."
#endif

/* Reads a whole file into a NUL-terminated malloc'd buffer (the caller
 * frees it); NULL if it cannot be opened or read. */
static inline char *cutest_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return NULL;
    }
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

#define CUTEST_ADD(suite, fn)                                         \
    do {                                                              \
        if (!CU_add_test((suite), #fn, (fn)))                         \
            return -1;                                                \
    } while (0)

/* main(): calls setup_fn() once, before anything else (e.g. sim_proto_use,
 * proto.h: the protocol registry the scenario loader is handed, for a
 * program that loads scenarios), then registers and runs the suites. */
#define CUTEST_MAIN_WITH(setup_fn, register_fn)                       \
    int main(void)                                                    \
    {                                                                 \
        unsigned failed;                                              \
        (setup_fn)();                                                 \
        if (CU_initialize_registry() != CUE_SUCCESS)                  \
            return 99;                                                \
        if ((register_fn)() != 0) {                                   \
            CU_cleanup_registry();                                    \
            return 99;                                                \
        }                                                             \
        CU_basic_set_mode(CU_BRM_NORMAL);                             \
        CU_basic_run_tests();                                         \
        failed = CU_get_number_of_failures() +                        \
                 CU_get_number_of_tests_failed();                     \
        CU_cleanup_registry();                                        \
        return failed ? 1 : 0;                                        \
    }

/* Runs fn(arg) in a forked child, with the child's stderr captured into
 * err (NUL-terminated, at most len - 1 bytes) and SIGABRT at its default,
 * so that an abort (a locality violation, a safety net) shows in the wait
 * status, which it returns; the child exits 0 when fn returns. */
static inline int cutest_in_child(void (*fn)(void *), void *arg, char *err,
                                  size_t len)
{
    int fd[2], st = 0;
    size_t got = 0;
    ssize_t r;
    pid_t pid;

    CU_ASSERT_FATAL(pipe(fd) == 0);
    fflush(NULL);
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        close(fd[0]);
        dup2(fd[1], 2);
        signal(SIGABRT, SIG_DFL);
        fn(arg);
        _exit(0);
    }
    close(fd[1]);
    while (got + 1 < len && (r = read(fd[0], err + got, len - 1 - got)) > 0)
        got += (size_t)r;
    err[got] = '\0';
    close(fd[0]);
    CU_ASSERT_FATAL(waitpid(pid, &st, 0) == pid);
    return st;
}

/* The set-up of a program that needs none. */
static inline void cutest_no_setup(void)
{
}

#define CUTEST_MAIN(register_fn) CUTEST_MAIN_WITH(cutest_no_setup, register_fn)

#endif
