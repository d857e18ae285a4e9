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
 * SA_ONSTACK): the Go runtime's own threads keep the host's other asynchronous
 * signals blocked for their whole life, and a host thread blocks those
 * the host handles while it is inside the library (entry.c). A handler
 * installed after the library loaded must use SA_ONSTACK, as Go asks of
 * every program that loads Go code. A signal that arrives then
 * stays pending and is delivered as the call returns. This also keeps a
 * collector that stops threads with signals (Mono, Boehm) from stopping a
 * thread in the middle of Go code, holding a lock of the Go runtime that
 * another thread needs (the hang of issue 13).
 *
 * Windows has no signals; none of this is built there. */
#ifndef _WIN32

#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>

#include "capi_internal.h"

/* What a host thread blocks while it runs Go code: the asynchronous
 * signals the host handles (entry.c). With none, a signal arriving in Go
 * code has no handler to run, and entries skip the two system calls. */
__attribute__((visibility("hidden"))) sigset_t ly__async_signals;
__attribute__((visibility("hidden"))) int ly__mask_entries = 1;

static struct sigaction host_action[NSIG];
static unsigned char host_action_read[NSIG];
static sigset_t loader_mask;

/* What the Go runtime's threads block for good: every signal except the
 * synchronous ones (blocking those is undefined when they are raised)
 * and SIGURG, whose handler is Go's. glibc leaves its own two internal
 * signals out. */
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
    make_async_set(&ly__async_signals);
    in_shared_library = is_shared_library();
    if (!in_shared_library)
        return;
    for (int sig = 1; sig < NSIG; sig++) {
        memset(&host_action[sig], 0, sizeof host_action[sig]);
        host_action_read[sig] = sigaction(sig, NULL, &host_action[sig]) == 0;
    }
    pthread_sigmask(SIG_BLOCK, &ly__async_signals, &loader_mask);
}

/* What Go keeps: see the comment at the top. */
static int go_keeps(int sig, const struct sigaction *host) {
    switch (sig) {
    case SIGSEGV:
    case SIGBUS:
    case SIGURG:
        return 1;
    /* The runtime unblocks these on every thread it starts, so a host
     * handler for them may run on a Go thread: it keeps the SA_ONSTACK
     * Go added, which puts it on that thread's signal stack. */
    case SIGSTKFLT:
    case SIGCHLD:
    case SIGPROF:
    case 34: /* the kernel's SIGRTMIN+2, glibc's SIGRTMIN */
        return 1;
    case SIGPIPE:
        return !(host->sa_flags & SA_SIGINFO) && host->sa_handler == SIG_DFL;
    }
    return 0;
}

static int same_action(const struct sigaction *a, const struct sigaction *b) {
    if (a->sa_handler != b->sa_handler || a->sa_flags != b->sa_flags)
        return 0;
    for (int sig = 1; sig < NSIG; sig++)
        if (sigismember(&a->sa_mask, sig) != sigismember(&b->sa_mask, sig))
            return 0;
    return 1;
}

/* Runtime packages of cgo: waits until the Go runtime has initialised
 * (every export's stub calls it first). */
extern uintptr_t _cgo_wait_runtime_init_done(void);

/* After the Go runtime's constructor (unprioritised constructors run in
 * link order, and cmd/link puts the Go object before the cgo objects;
 * TestHostSignals and tests/c/test_signals.c fail if that ever changes):
 * wait for the runtime to have installed its handlers, then give the host
 * back its own, and this thread its mask. */
__attribute__((constructor)) static void after_go_runtime(void) {
    if (!in_shared_library)
        return;
    _cgo_wait_runtime_init_done();
    sigset_t handled;
    sigemptyset(&handled);
    for (int sig = 1; sig < NSIG; sig++) {
        if (host_action_read[sig] && sigismember(&ly__async_signals, sig) == 1 &&
            ((host_action[sig].sa_flags & SA_SIGINFO) ||
             (host_action[sig].sa_handler != SIG_DFL && host_action[sig].sa_handler != SIG_IGN)))
            sigaddset(&handled, sig);
    }
    ly__async_signals = handled;
    ly__mask_entries = !sigisemptyset(&handled);
    for (int sig = 1; sig < NSIG; sig++) {
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

#endif /* !_WIN32 */
