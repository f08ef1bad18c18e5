/* cutest.h — shared CUnit boilerplate: every test program registers its
 * suites in `register_tests` and calls CUTEST_MAIN.  Exit status follows
 * automake: 0 pass, 1 fail, 99 hard error. */
#ifndef KMSIM_CUTEST_H
#define KMSIM_CUTEST_H

#include <stdio.h>
#include <CUnit/Basic.h>

#ifndef TEST_SRCDIR
#define TEST_SRCDIR "."
#endif

#define CUTEST_ADD(suite, fn)                                         \
    do {                                                              \
        if (!CU_add_test((suite), #fn, (fn)))                         \
            return -1;                                                \
    } while (0)

#define CUTEST_MAIN(register_fn)                                      \
    int main(void)                                                    \
    {                                                                 \
        unsigned failed;                                              \
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

#endif
