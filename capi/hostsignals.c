/* The host's signal handling is the host's (include/lightyear_conn.h,
 * "Signals"; DESIGN.md, "Signals").
 *
 * Loading a Go c-shared library runs the Go runtime's constructor, which
 * installs Go's handlers for SIGSEGV, SIGBUS, SIGFPE, SIGPIPE and SIGURG
 * and adds SA_ONSTACK to every handler the host already had. A managed
 * runtime then breaks: Mono's SIGFPE handler (DivideByZeroException) runs
 * on Go's small signal stack, allocates, collects there and aborts.
 *
 * So the library keeps only what Go needs:
 *   - SIGSEGV and SIGBUS: Go turns a fault in Go code into a panic (which
 *     the exports recover) and passes every other fault to the host's
 *     handler;
 *   - SIGURG: Go's goroutine preemption;
 *   - SIGPIPE, only if the host left it at SIG_DFL: a write from Go code
 *     then fails with EPIPE instead of killing the process, and a host
 *     SIGPIPE still gets the default action;
 *   - SA_ONSTACK on a host handler of SIGCHLD, SIGPROF, SIGSTKFLT or
 *     signal 34 (glibc's SIGRTMIN): the runtime unblocks these on every
 *     thread it starts, so such a handler may run on a Go thread, and
 *     must then run on a signal stack.
 * Every other signal gets back exactly the action it had before the
 * library loaded (handler, flags and mask; no SA_ONSTACK added).
 *
 * That is only safe because no host handler ever runs on a goroutine
 * stack, which is small and has no guard page (the reason Go adds
 * SA_ONSTACK): the Go runtime's own threads keep the host's other
 * asynchronous signals blocked for their whole life, and a host thread
 * blocks those the host handles while it is inside the library
 * (entry.c). A signal that arrives then stays pending and is delivered as
 * the call returns. This also keeps a collector that stops threads with
 * signals (Mono, Boehm) from stopping a thread in the middle of Go code,
 * holding a lock of the Go runtime that another thread needs.
 *
 * Linux and Android only for now. Windows has no signals; on macOS and
 * iOS the Go runtime's own behaviour is unchanged. The numbers hold on
 * x86_64 and aarch64 alike: Go's runtime/sigtab_linux_generic.go serves
 * every Linux architecture but MIPS, both use the generic signal numbers
 * (SIGSTKFLT is 16), and glibc's SIGRTMIN is 34 on both. */
#if defined(__linux__)

#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>

#include "capi_internal.h"

/* What a host thread blocks while it runs Go code, once entry_mask_init
 * has run (entry.c calls it on the first call into the library). */
__attribute__((visibility("hidden"))) sigset_t ly__async_signals;
/* 0: not yet known; 1: nothing to block; 2: block ly__async_signals. */
__attribute__((visibility("hidden"))) int ly__mask_state;

static struct sigaction host_action[NSIG];
static unsigned char host_action_read[NSIG];
static sigset_t loader_mask;
static void *go_handler; /* the Go runtime's handler, once it is installed */

/* Every signal except the synchronous ones (blocking those is undefined
 * when they are raised) and SIGURG, whose handler is Go's. glibc leaves
 * its own two internal signals out. */
static void make_async_set(sigset_t *set) {
    sigfillset(set);
    sigdelset(set, SIGSEGV);
    sigdelset(set, SIGBUS);
    sigdelset(set, SIGFPE);
    sigdelset(set, SIGILL);
    sigdelset(set, SIGTRAP);
    sigdelset(set, SIGSYS);
    sigdelset(set, SIGURG);
}

static void *handler_of(const struct sigaction *sa) {
    return (sa->sa_flags & SA_SIGINFO) ? (void *)sa->sa_sigaction : (void *)sa->sa_handler;
}

static int is_handler(const struct sigaction *sa) {
    return (sa->sa_flags & SA_SIGINFO) || (sa->sa_handler != SIG_DFL && sa->sa_handler != SIG_IGN);
}

static int same_action(const struct sigaction *a, const struct sigaction *b) {
    if (handler_of(a) != handler_of(b) || a->sa_flags != b->sa_flags)
        return 0;
    for (int sig = 1; sig < NSIG; sig++)
        if (sigismember(&a->sa_mask, sig) != sigismember(&b->sa_mask, sig))
            return 0;
    return 1;
}

/* Whether this code is in a shared library rather than the program (the
 * package's Go tests link it into an executable, where the Go runtime
 * starts after every constructor and keeps the program's handlers anyway). */
static int in_shared_library;

static int is_shared_library(void) {
    Dl_info self, program;
    if (!dladdr((void *)is_shared_library, &self) || !dladdr((void *)getauxval(AT_ENTRY), &program))
        return 1;
    return self.dli_fbase != program.dli_fbase;
}

/* Before the Go runtime's constructor: a prioritised constructor runs
 * before every unprioritised one, Go's included. The runtime starts its
 * first thread from the thread running the constructors; a thread starts
 * with its creator's mask and Go gives every later thread of its own the
 * mask of that first one, so blocking here blocks them all. */
__attribute__((constructor(101))) static void before_go_runtime(void) {
    in_shared_library = is_shared_library();
    if (!in_shared_library) {
        ly__mask_state = 1;
        return;
    }
    for (int sig = 1; sig < NSIG; sig++) {
        memset(&host_action[sig], 0, sizeof host_action[sig]);
        host_action_read[sig] = sigaction(sig, NULL, &host_action[sig]) == 0;
    }
    sigset_t async;
    make_async_set(&async);
    pthread_sigmask(SIG_BLOCK, &async, &loader_mask);
}

/* What Go keeps: see the comment at the top. */
static int go_keeps(int sig, const struct sigaction *host) {
    switch (sig) {
    case SIGSEGV:
    case SIGBUS:
    case SIGURG:
        return 1;
    case SIGPIPE:
        return !is_handler(host) && host->sa_handler == SIG_DFL;
    /* The runtime unblocks these on every thread it starts, so a host
     * handler for them may run on a Go thread: it keeps the SA_ONSTACK
     * Go added, which puts it on that thread's signal stack. */
    case SIGSTKFLT:
    case SIGCHLD:
    case SIGPROF:
    case 34: /* the kernel's SIGRTMIN+2, glibc's SIGRTMIN */
        return 1;
    }
    return 0;
}

/* After the Go runtime's constructor, which installs its handlers before
 * it returns (unprioritised constructors run in link order, and cmd/link
 * puts the Go object before the cgo objects; tests/c/test_signals.c
 * fails if that ever changes): give the host back its own handlers, and
 * this thread its mask. */
__attribute__((constructor)) static void after_go_runtime(void) {
    if (!in_shared_library)
        return;
    struct sigaction urg;
    memset(&urg, 0, sizeof urg);
    if (sigaction(SIGURG, NULL, &urg) == 0 && !same_action(&urg, &host_action[SIGURG]))
        go_handler = handler_of(&urg);
    for (int sig = 1; sig < NSIG && go_handler != NULL; sig++) {
        if (!host_action_read[sig] || go_keeps(sig, &host_action[sig]))
            continue;
        struct sigaction now;
        memset(&now, 0, sizeof now);
        if (sigaction(sig, NULL, &now) == 0 && same_action(&now, &host_action[sig]))
            continue; /* untouched: writing it back would only add SA_RESTORER */
        sigaction(sig, &host_action[sig], NULL);
    }
    pthread_sigmask(SIG_SETMASK, &loader_mask, NULL);
}

/* The asynchronous signals the host handles when it first calls into the
 * library, so that a program whose constructors or main install handlers
 * after loading (one linked against the library) has them blocked too.
 * Handlers installed later must use SA_ONSTACK, as Go asks. */
static pthread_once_t mask_once = PTHREAD_ONCE_INIT;

static void find_host_handled(void) {
    sigset_t async, handled;
    int any = 0;
    make_async_set(&async);
    sigemptyset(&handled);
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction now;
        memset(&now, 0, sizeof now);
        if (sigismember(&async, sig) != 1 || sigaction(sig, NULL, &now) != 0)
            continue;
        if (is_handler(&now) && handler_of(&now) != go_handler) {
            sigaddset(&handled, sig);
            any = 1;
        }
    }
    ly__async_signals = handled;
    __atomic_store_n(&ly__mask_state, any ? 2 : 1, __ATOMIC_RELEASE);
}

__attribute__((visibility("hidden"))) void ly__entry_mask_init(void) { pthread_once(&mask_once, find_host_handled); }

/* Waiting for the Go runtime. The library's constructor starts the Go
 * runtime's initialisation on a thread of its own and returns; the first
 * call into Go waits until it is done. That wait must not happen with the
 * host's signals blocked: initialisation starts threads, a thread start
 * takes glibc locks (the TLS lock, malloc's) that a host thread may hold
 * when its collector stops it, and the collector would wait for ever for
 * a thread that cannot see its signal (a caught hang: Mono's preemptive
 * suspend, with the runtime's thread waiting in pthread_create). So
 * entry.c waits here first, signals open, until Go's last init function
 * (capi/ready_linux.go) says it is done. */
__attribute__((visibility("hidden"))) int ly__go_ready;
static pthread_mutex_t ready_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cond = PTHREAD_COND_INITIALIZER;

__attribute__((visibility("hidden"))) void ly__go_initialised(void) {
    pthread_mutex_lock(&ready_mu);
    __atomic_store_n(&ly__go_ready, 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&ready_cond);
    pthread_mutex_unlock(&ready_mu);
}

__attribute__((visibility("hidden"))) void ly__wait_go_ready(void) {
    pthread_mutex_lock(&ready_mu);
    while (!__atomic_load_n(&ly__go_ready, __ATOMIC_ACQUIRE))
        pthread_cond_wait(&ready_cond, &ready_mu);
    pthread_mutex_unlock(&ready_mu);
}

#endif /* __linux__ */
