/* A host thread that calls into the library while the Go runtime is still
 * starting must go on answering its signals (capi/hostsignals.c, "Waiting
 * for the Go runtime").
 *
 * The hang this guards against, caught under Mono's preemptive suspend: the
 * runtime's start was stuck in pthread_create on a glibc lock held by a
 * thread Mono had stopped, a C# thread's first call waited for the start
 * with the host's signals blocked, and Mono waited for ever for that
 * thread to answer its suspend signal.
 *
 * Here the program plays both parts. It interposes pthread_create (linked
 * with -rdynamic, so the library's calls come here) and holds every thread
 * start the Go runtime makes from its own threads, as a lock held by a
 * stopped thread would. It installs a SIGUSR1 handler (a collector's
 * suspend signal), loads the library, and has a second thread make its
 * first call, which must wait for the runtime. While it waits, SIGUSR1 is
 * sent to it: the handler must run before the call returns. Then the
 * thread starts are let go and the call must succeed.
 *
 *   test_slow_start <path of liblightyear_conn.so> */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lightyear_conn.h"

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

static pthread_t main_thread, caller;
static int caller_made;
static pthread_mutex_t hold_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hold_cond = PTHREAD_COND_INITIALIZER;
static int holding = 1;
static int held; /* thread starts waiting */

int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg) {
    static create_fn real;
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "pthread_create");
    pthread_t self = pthread_self();
    int ours = pthread_equal(self, main_thread) ||
               (__atomic_load_n(&caller_made, __ATOMIC_ACQUIRE) && pthread_equal(self, caller));
    if (!ours) {
        pthread_mutex_lock(&hold_mu);
        held++;
        while (holding)
            pthread_cond_wait(&hold_cond, &hold_mu);
        pthread_mutex_unlock(&hold_mu);
    }
    return real(t, attr, fn, arg);
}

static volatile sig_atomic_t usr1_on_caller;
static void on_usr1(int sig) {
    (void)sig;
    if (pthread_equal(pthread_self(), caller))
        usr1_on_caller = 1;
}

static int (*key_generate)(uint8_t *);
static volatile int call_rc = 1, call_returned;

static void *first_call(void *arg) {
    (void)arg;
    uint8_t key[LY_KEY_SIZE];
    call_rc = key_generate(key);
    __atomic_store_n(&call_returned, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s liblightyear_conn.so\n", argv[0]);
        return 2;
    }
    main_thread = pthread_self();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);

    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    *(void **)&key_generate = dlsym(lib, "ly_key_generate");
    if (!key_generate) {
        fprintf(stderr, "ly_key_generate not found\n");
        return 1;
    }

    /* The runtime's start is held before it is done. */
    int failures = 0;
    for (int i = 0; i < 200; i++) {
        pthread_mutex_lock(&hold_mu);
        int n = held;
        pthread_mutex_unlock(&hold_mu);
        if (n > 0)
            break;
        sleep_ms(10);
    }
    if (held == 0) {
        fprintf(stderr, "the Go runtime started no thread of its own within 2 s: the interposed pthread_create "
                        "was not used (linked without -rdynamic?)\n");
        return 1;
    }

    if (pthread_create(&caller, NULL, first_call, NULL) != 0) {
        fprintf(stderr, "pthread_create failed\n");
        return 1;
    }
    __atomic_store_n(&caller_made, 1, __ATOMIC_RELEASE);
    sleep_ms(200); /* in the call, waiting for the runtime */
    if (__atomic_load_n(&call_returned, __ATOMIC_ACQUIRE)) {
        fprintf(stderr, "the first call returned while the runtime's start was held\n");
        failures++;
    }
    pthread_kill(caller, SIGUSR1);
    for (int i = 0; i < 300 && !usr1_on_caller; i++)
        sleep_ms(10);
    if (!usr1_on_caller) {
        fprintf(stderr, "the signal sent to a thread waiting for the Go runtime's start was not handled within 3 s "
                        "(a collector stopping threads would wait for ever)\n");
        failures++;
    } else if (__atomic_load_n(&call_returned, __ATOMIC_ACQUIRE)) {
        fprintf(stderr, "the call returned before the signal was handled: nothing was tested\n");
        failures++;
    }

    pthread_mutex_lock(&hold_mu);
    holding = 0;
    pthread_cond_broadcast(&hold_cond);
    pthread_mutex_unlock(&hold_mu);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    if (pthread_timedjoin_np(caller, NULL, &deadline) != 0) {
        fprintf(stderr, "the first call did not return within 10 s of the runtime's start going on\n");
        return 1;
    }
    if (call_rc != LY_OK) {
        fprintf(stderr, "ly_key_generate returned %d\n", call_rc);
        failures++;
    }
    if (failures)
        return 1;
    printf("test_slow_start: a thread waiting for the Go runtime's start handled its signal; the call then succeeded\n");
    return 0;
}
