/*
 * platform.h - what the C tests need from the system beyond C99 and
 * pthreads, for POSIX and for Windows (mingw-w64, which brings pthreads
 * and nanosleep in winpthread):
 *
 *   test_dlopen/test_dlsym   load a library and look a symbol up: dlopen,
 *                            or LoadLibraryA (the tests' paths are ASCII)
 *   test_guarded_alloc       size bytes followed by an inaccessible page:
 *                            mmap + mprotect, or VirtualAlloc + VirtualProtect
 *   test_watchdog            end the process with a message after seconds,
 *                            so a deadlock fails instead of hanging: alarm,
 *                            or a thread
 *   test_pid                 the process id, for seeds
 */
#ifndef LY_TEST_PLATFORM_H
#define LY_TEST_PLATFORM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#include <process.h>

static inline void *test_dlopen(const char *path) { return (void *)LoadLibraryA(path); }

static inline void *test_dlsym(void *lib, const char *name)
{
    FARPROC p = GetProcAddress((HMODULE)lib, name);
    void *v;
    memcpy(&v, &p, sizeof v); /* a function pointer as data */
    return v;
}

static inline uint8_t *test_guarded_alloc(size_t size)
{
    SYSTEM_INFO si;
    DWORD old;
    uint8_t *p;
    GetSystemInfo(&si);
    p = (uint8_t *)VirtualAlloc(NULL, size + si.dwPageSize, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    if (p == NULL || !VirtualProtect(p + size, si.dwPageSize, PAGE_NOACCESS, &old))
        return NULL;
    return p;
}

static inline DWORD WINAPI test_watchdog_thread(LPVOID arg)
{
    Sleep((DWORD)(uintptr_t)arg * 1000);
    fprintf(stderr, "watchdog: still running after %u s: a deadlock?\n", (unsigned)(uintptr_t)arg);
    fflush(stderr);
    ExitProcess(124);
    return 0;
}

static inline void test_watchdog(unsigned seconds)
{
    HANDLE h = CreateThread(NULL, 0, test_watchdog_thread, (LPVOID)(uintptr_t)seconds, 0, NULL);
    if (h != NULL)
        CloseHandle(h);
}

static inline long test_pid(void) { return (long)_getpid(); }

#else
#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

static inline void *test_dlopen(const char *path) { return dlopen(path, RTLD_NOW); }

static inline void *test_dlsym(void *lib, const char *name) { return dlsym(lib, name); }

/* MAP_ANONYMOUS needs _DEFAULT_SOURCE (fuzz_capi.c defines it). */
#ifdef MAP_ANONYMOUS
static inline uint8_t *test_guarded_alloc(size_t size)
{
    long page = sysconf(_SC_PAGESIZE);
    uint8_t *p = (uint8_t *)mmap(NULL, size + (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED || mprotect(p + size, (size_t)page, PROT_NONE) != 0)
        return NULL;
    return p;
}
#endif

static inline void test_watchdog(unsigned seconds) { alarm(seconds); }

static inline long test_pid(void) { return (long)getpid(); }
#endif

#endif /* LY_TEST_PLATFORM_H */
