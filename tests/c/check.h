/*
 * check.h - the assertion macros of the C tests.
 *
 * A failed check prints where it failed, the expression, the values and
 * what the library says about the last error, then exits: later checks
 * usually depend on earlier ones, so going on only adds noise.
 * Counters are updated atomically because test_threads checks from
 * several threads.
 */
#ifndef LY_TEST_CHECK_H
#define LY_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#include "lightyear_conn.h"

static int check_passed_;

static inline void check_fail_(const char *file, int line, const char *expr, int has_values, long long got,
                        long long want)
{
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, expr);
    if (has_values) {
        fprintf(stderr, "  got %lld", got);
        if (got < 0 && got >= -1000)
            fprintf(stderr, " (%s)", ly_error_string((int)got));
        fprintf(stderr, ", want %lld", want);
        if (want < 0 && want >= -1000)
            fprintf(stderr, " (%s)", ly_error_string((int)want));
        fprintf(stderr, "\n");
    }
    fprintf(stderr, "  ly_last_error: \"%s\"\n", ly_last_error());
    fprintf(stderr, "%d passed, 1 failed\n", __atomic_load_n(&check_passed_, __ATOMIC_SEQ_CST));
    fflush(stderr);
    exit(1);
}

#define CHECK(expr)                                                                                \
    do {                                                                                           \
        if (expr)                                                                                  \
            __atomic_add_fetch(&check_passed_, 1, __ATOMIC_SEQ_CST);                               \
        else                                                                                       \
            check_fail_(__FILE__, __LINE__, #expr, 0, 0, 0);                                       \
    } while (0)

/* Each side is evaluated once; values are compared as long long so that
 * the error code of a failing call is printed with its name. */
#define CHECK_EQ(got, want)                                                                        \
    do {                                                                                           \
        long long got_ = (long long)(got), want_ = (long long)(want);                              \
        if (got_ == want_)                                                                         \
            __atomic_add_fetch(&check_passed_, 1, __ATOMIC_SEQ_CST);                               \
        else                                                                                       \
            check_fail_(__FILE__, __LINE__, #got " == " #want, 1, got_, want_);                    \
    } while (0)

#define CHECK_OK(call) CHECK_EQ((call), LY_OK)

/* Prints the summary line; the return value is main's. */
static inline int check_summary(const char *name)
{
    printf("%s: %d passed, 0 failed\n", name, __atomic_load_n(&check_passed_, __ATOMIC_SEQ_CST));
    fflush(stdout);
    return 0;
}

#endif /* LY_TEST_CHECK_H */
