/* A 60 Hz loop that sleeps to each tick and calls bench_noop() `calls`
 * times per tick; prints its CPU and context switches per tick over 240
 * ticks (getrusage). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

extern void bench_noop(void);

int main(int argc, char **argv)
{
    int calls = argc > 1 ? atoi(argv[1]) : 1, ticks = 240;
    struct timespec t;
    struct rusage a, b;
    bench_noop(); /* the runtime's start-up is not measured */
    clock_gettime(CLOCK_MONOTONIC, &t);
    getrusage(RUSAGE_SELF, &a);
    for (int i = 0; i < ticks; i++) {
        t.tv_nsec += 16666667;
        if (t.tv_nsec >= 1000000000) {
            t.tv_nsec -= 1000000000;
            t.tv_sec++;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL);
        for (int j = 0; j < calls; j++)
            bench_noop();
    }
    getrusage(RUSAGE_SELF, &b);
    double us = (b.ru_utime.tv_sec - a.ru_utime.tv_sec + b.ru_stime.tv_sec - a.ru_stime.tv_sec) * 1e6 +
                (b.ru_utime.tv_usec - a.ru_utime.tv_usec + b.ru_stime.tv_usec - a.ru_stime.tv_usec);
    printf("%d calls a tick: CPU %.1f us a tick, context switches %.2f voluntary + %.2f involuntary\n", calls,
           us / ticks, (double)(b.ru_nvcsw - a.ru_nvcsw) / ticks, (double)(b.ru_nivcsw - a.ru_nivcsw) / ticks);
    return 0;
}
