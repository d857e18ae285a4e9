/* The host's signals stay the host's (include/lightyear_conn.h, "Signals").
 *
 * The program sets up handlers the way a game engine or a managed runtime
 * does, reads every signal action, then dlopens the library and checks:
 *   - every action is as it was, except Go's SIGSEGV, SIGBUS and SIGURG
 *     (and SIGPIPE only in a child whose SIGPIPE was SIG_DFL); no host
 *     handler gained SA_ONSTACK;
 *   - the loading thread's mask is as it was, and every thread the Go
 *     runtime started blocks the host's asynchronous signals;
 *   - a call into the library leaves the caller's mask as it was;
 *   - signals sent to a thread while it calls into the library are
 *     delivered, and every handler runs on the thread's own stack, never
 *     on a goroutine stack or Go's signal stack, also for a handler
 *     installed after loading but before the first call;
 *   - an integer division by zero in host code after the library ran on
 *     the thread reaches the host's SIGFPE handler, on the thread's own
 *     stack (a C# DivideByZeroException under Mono). AArch64 has no such
 *     trap (SDIV by zero gives 0, and Mono's arm64 JIT tests the divisor
 *     itself), so there the thread raises SIGFPE at itself instead.
 *
 *   test_signals <path of liblightyear_conn.so> */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lightyear_conn.h"

/* volatile: a failure counted after a trapping division must not be moved
 * before it (the compiler may assume the division does not trap). */
static volatile int failures;
#define EXPECT(cond, ...)                                                   \
    do {                                                                    \
        if (!(cond)) {                                                      \
            failures++;                                                     \
            fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                 \
            fprintf(stderr, __VA_ARGS__);                                   \
            fputc('\n', stderr);                                            \
        }                                                                   \
    } while (0)

/* --- the host's handlers -------------------------------------------- */

static uintptr_t main_stack_lo, main_stack_hi;
static volatile sig_atomic_t usr1_count, usr1_off_stack, fpe_count, fpe_off_stack;
static sigjmp_buf fpe_jump;

/* Whether the calling handler's frame is on the main thread's stack. */
#define ON_MAIN_STACK() \
    ((uintptr_t)__builtin_frame_address(0) >= main_stack_lo && (uintptr_t)__builtin_frame_address(0) < main_stack_hi)

static void on_usr1(int sig) {
    (void)sig;
    usr1_count++;
    if (!ON_MAIN_STACK())
        usr1_off_stack++;
}

static void on_fpe(int sig, siginfo_t *info, void *ctx) {
    (void)sig;
    (void)info;
    (void)ctx;
    fpe_count++;
    if (!ON_MAIN_STACK())
        fpe_off_stack++;
    siglongjmp(fpe_jump, 1);
}

static void on_other(int sig) { (void)sig; }

static void install(int sig, void (*h)(int), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGTERM);
    if (sigaction(sig, &sa, NULL) != 0) {
        perror("sigaction");
        exit(1);
    }
}

/* What Mono, Unity or an engine installs: a SIGFPE handler with siginfo,
 * thread-suspend signals, interrupt and terminate, a real-time signal, and
 * an ignored SIGPIPE (unless keep_default_pipe). */
static void install_host_handlers(int keep_default_pipe) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fpe;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGFPE, &sa, NULL);
    install(SIGUSR2, on_other, 0);
    install(SIGPWR, on_other, SA_RESTART);
    install(SIGXCPU, on_other, SA_RESTART);
    install(SIGINT, on_other, 0);
    install(SIGTERM, on_other, SA_RESTART);
    install(SIGCHLD, on_other, SA_NOCLDSTOP);
    install(SIGRTMIN + 3, on_other, 0);
    if (!keep_default_pipe)
        install(SIGPIPE, SIG_IGN, 0);
}

/* --- reading every action --------------------------------------------- */

struct actions {
    struct sigaction sa[NSIG];
    int ok[NSIG];
};

static void read_actions(struct actions *a) {
    for (int sig = 1; sig < NSIG; sig++) {
        memset(&a->sa[sig], 0, sizeof a->sa[sig]);
        a->ok[sig] = sigaction(sig, NULL, &a->sa[sig]) == 0;
    }
}

static int same_action(const struct sigaction *x, const struct sigaction *y) {
    if (x->sa_handler != y->sa_handler || x->sa_flags != y->sa_flags)
        return 0;
    for (int sig = 1; sig < NSIG; sig++)
        if (sigismember(&x->sa_mask, sig) != sigismember(&y->sa_mask, sig))
            return 0;
    return 1;
}

/* The signals Go keeps: its handler, with SA_ONSTACK and SA_SIGINFO. */
static int go_keeps(int sig, int default_pipe) {
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGURG || (sig == SIGPIPE && default_pipe);
}

/* Raised by the thread's own code only: never delivered to another thread. */
static int synchronous(int sig) {
    return sig == SIGFPE || sig == SIGILL || sig == SIGTRAP || sig == SIGSYS || sig == SIGSEGV || sig == SIGBUS;
}

/* What a Go runtime thread leaves unblocked, from its SigBlk; 0 before
 * any was seen. Set by check_go_threads_block. */
static unsigned long long go_thread_unblocked;

static void compare_actions(const struct actions *before, const struct actions *after, int default_pipe) {
    void *go_handler = NULL;
    for (int sig = 1; sig < NSIG; sig++) {
        EXPECT(before->ok[sig] == after->ok[sig], "signal %d: readable %d before, %d after", sig, before->ok[sig], after->ok[sig]);
        if (!before->ok[sig] || !after->ok[sig])
            continue;
        const struct sigaction *b = &before->sa[sig], *a = &after->sa[sig];
        if (go_keeps(sig, default_pipe)) {
            EXPECT((a->sa_flags & (SA_ONSTACK | SA_SIGINFO)) == (SA_ONSTACK | SA_SIGINFO) && a->sa_handler != SIG_DFL &&
                       a->sa_handler != SIG_IGN,
                   "signal %d (%s): Go's handler expected, flags %#x", sig, strsignal(sig), (unsigned)a->sa_flags);
            if (go_handler == NULL)
                go_handler = (void *)a->sa_handler;
            EXPECT((void *)a->sa_handler == go_handler, "signal %d: not the same handler as Go's others", sig);
            continue;
        }
        if (sig <= 64 && (go_thread_unblocked >> (sig - 1) & 1) && !synchronous(sig) && b->sa_handler != SIG_DFL &&
            b->sa_handler != SIG_IGN) {
            /* A host handler for a signal Go's threads cannot block may
             * run on one of them: it must keep the SA_ONSTACK Go added. */
            struct sigaction want = *b;
            want.sa_flags |= SA_ONSTACK;
            EXPECT(same_action(&want, a), "signal %d (%s): a Go thread may take it; want the host's handler with SA_ONSTACK",
                   sig, strsignal(sig));
            continue;
        }
        EXPECT(same_action(b, a), "signal %d (%s): handler %p flags %#x before, %p flags %#x after loading", sig,
               strsignal(sig), (void *)b->sa_handler, (unsigned)b->sa_flags, (void *)a->sa_handler,
               (unsigned)a->sa_flags);
        EXPECT(!(a->sa_flags & SA_ONSTACK) || (b->sa_flags & SA_ONSTACK), "signal %d gained SA_ONSTACK", sig);
    }
}

/* --- threads' masks ------------------------------------------------------ */

/* Every thread but the caller must block SIGUSR1, SIGINT and SIGPWR: the
 * Go runtime's threads (the only other threads of this process). */
static void check_go_threads_block(void) {
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    char path[320], line[256];
    int threads = 0;
    pid_t self = gettid();
    EXPECT(d != NULL, "no /proc/self/task");
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || atoi(e->d_name) == self)
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue; /* the thread ended meanwhile */
        unsigned long long blocked = 0;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "SigBlk: %llx", &blocked) == 1)
                break;
        fclose(f);
        threads++;
        go_thread_unblocked |= ~blocked;
        int want[] = {SIGUSR1, SIGINT, SIGPWR, SIGTERM, SIGPIPE, SIGXCPU, SIGRTMIN + 3};
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
            EXPECT(blocked & (1ULL << (want[i] - 1)), "Go thread %s does not block %s (SigBlk %llx)", e->d_name,
                   strsignal(want[i]), blocked);
    }
    closedir(d);
    EXPECT(threads >= 2, "only %d Go runtime threads found", threads);
}

/* --- the library ---------------------------------------------------------- */

struct lib {
    void (*server_config_defaults)(ly_server_config *);
    int (*server_create)(const ly_server_config *, ly_server **);
    int (*server_start)(ly_server *);
    int (*server_update)(ly_server *, double);
    int (*server_destroy)(ly_server *);
    int (*key_generate)(uint8_t *);
};

static void *must_sym(void *h, const char *name) {
    void *p = dlsym(h, name);
    if (p == NULL) {
        fprintf(stderr, "dlsym %s: %s\n", name, dlerror());
        exit(1);
    }
    return p;
}

static void load(const char *path, struct lib *l) {
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        exit(1);
    }
    *(void **)&l->server_config_defaults = must_sym(h, "ly_server_config_defaults");
    *(void **)&l->server_create = must_sym(h, "ly_server_create");
    *(void **)&l->server_start = must_sym(h, "ly_server_start");
    *(void **)&l->server_update = must_sym(h, "ly_server_update");
    *(void **)&l->server_destroy = must_sym(h, "ly_server_destroy");
    *(void **)&l->key_generate = must_sym(h, "ly_key_generate");
}

/* A server with no sockets, for calls that run Go code. */
static ly_server *local_server(const struct lib *l) {
    ly_server_config cfg;
    ly_server *s = NULL;
    l->server_config_defaults(&cfg);
    cfg.protocol_id = 7;
    l->key_generate(cfg.private_key);
    if (l->server_create(&cfg, &s) != LY_OK || l->server_start(s) != LY_OK) {
        fprintf(stderr, "could not make a server\n");
        exit(1);
    }
    return s;
}

/* --- signals during calls ------------------------------------------------ */

struct sender {
    pthread_t target;
    volatile int stop;
    long sent;
};

static void *send_usr1(void *arg) {
    struct sender *s = arg;
    struct timespec nap = {0, 20000};
    while (!s->stop) {
        pthread_kill(s->target, SIGUSR1);
        s->sent++;
        nanosleep(&nap, NULL);
    }
    return NULL;
}

static void signals_during_calls(const struct lib *l) {
    ly_server *s = local_server(l);
    struct sender snd = {pthread_self(), 0, 0};
    pthread_t t;
    sigset_t before, after;
    pthread_sigmask(SIG_SETMASK, NULL, &before);
    pthread_create(&t, NULL, send_usr1, &snd);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    long calls = 0;
    do {
        EXPECT(l->server_update(s, 0) == LY_OK, "ly_server_update failed");
        calls++;
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) < 500000000L);
    snd.stop = 1;
    pthread_join(t, NULL);
    pthread_sigmask(SIG_SETMASK, NULL, &after);
    for (int sig = 1; sig < NSIG; sig++)
        EXPECT(sigismember(&before, sig) == sigismember(&after, sig), "the caller's mask changed for signal %d", sig);
    printf("signals during calls: %ld sent, %d handled, %d off the thread's stack, in %ld calls\n", snd.sent,
           (int)usr1_count, (int)usr1_off_stack, calls);
    EXPECT(usr1_count > 0, "no SIGUSR1 was handled");
    EXPECT(usr1_off_stack == 0, "%d SIGUSR1 handlers ran off the thread's stack", (int)usr1_off_stack);
    l->server_destroy(s);
}

/* A division by zero in host code, after the library has run on the thread
 * (Go has then put its signal stack on it). */
static volatile int zero, seven = 7;
static void host_divides_by_zero(void) {
    for (volatile int i = 0; i < 1000; i++) { /* volatile: it lives across sigsetjmp */
        if (sigsetjmp(fpe_jump, 1) == 0) {
#if defined(__aarch64__)
            raise(SIGFPE); /* the division below would give 0, not a trap */
#else
            volatile int q = seven / zero; /* 1 / x would compile to compares, no idiv */
            (void)q;
#endif
            EXPECT(0, "1/0 did not trap");
        }
    }
    printf("division by zero in host code: %d SIGFPE handled, %d off the thread's stack\n", (int)fpe_count,
           (int)fpe_off_stack);
    EXPECT(fpe_count == 1000, "the host's SIGFPE handler ran %d times of 1000", (int)fpe_count);
    EXPECT(fpe_off_stack == 0, "the host's SIGFPE handler ran off the thread's stack %d times", (int)fpe_off_stack);
}

static void find_main_stack(void) {
    pthread_attr_t a;
    void *addr;
    size_t size;
    pthread_getattr_np(pthread_self(), &a);
    pthread_attr_getstack(&a, &addr, &size);
    pthread_attr_destroy(&a);
    main_stack_lo = (uintptr_t)addr;
    main_stack_hi = (uintptr_t)addr + size;
}

/* The child: SIGPIPE left at SIG_DFL, so Go keeps it. */
static int default_pipe_child(const char *path) {
    struct actions before, after;
    struct lib l;
    install_host_handlers(1);
    read_actions(&before);
    load(path, &l);
    read_actions(&after);
    l.server_destroy(local_server(&l)); /* the runtime has started its threads once a call returns */
    check_go_threads_block();
    compare_actions(&before, &after, 1);
    return failures ? 1 : 0;
}

int main(int argc, char **argv) {
    struct actions before, after;
    sigset_t mask_before, mask_after;
    struct lib l;
    if (argc != 2) {
        fprintf(stderr, "usage: test_signals <liblightyear_conn.so>\n");
        return 2;
    }
    find_main_stack();

    pid_t child = fork();
    if (child == 0)
        _exit(default_pipe_child(argv[1]));
    int status = 0;
    waitpid(child, &status, 0);
    EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the SIG_DFL SIGPIPE child failed (status %#x)", status);

    install_host_handlers(0);
    pthread_sigmask(SIG_SETMASK, NULL, &mask_before);
    read_actions(&before);
    load(argv[1], &l);
    read_actions(&after);
    pthread_sigmask(SIG_SETMASK, NULL, &mask_after);

    /* Installed after loading but before the first call, as a program
     * linked against the library does in main: the first call must still
     * find it, and block it in every call (signals_during_calls). */
    install(SIGUSR1, on_usr1, SA_RESTART);
    sigaction(SIGUSR1, NULL, &before.sa[SIGUSR1]);
    after.sa[SIGUSR1] = before.sa[SIGUSR1];

    l.server_destroy(local_server(&l)); /* the runtime has started its threads once a call returns */
    check_go_threads_block();
    compare_actions(&before, &after, 0);
    for (int sig = 1; sig < NSIG; sig++)
        EXPECT(sigismember(&mask_before, sig) == sigismember(&mask_after, sig), "loading changed the mask for %d", sig);
    signals_during_calls(&l);
    host_divides_by_zero();
    read_actions(&after);
    compare_actions(&before, &after, 0);

    if (failures) {
        fprintf(stderr, "test_signals: %d failures\n", failures);
        return 1;
    }
    printf("test_signals: ok\n");
    return 0;
}
