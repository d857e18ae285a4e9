/*
 * test_two_process.c - a server in this process, a client in a child
 * process (this program run again with --client <address>), talking over
 * UDP on 127.0.0.1. The child sends 100 payloads, the server echoes each,
 * the child checks the echoes and leaves through ly_shutdown (which must
 * tell the server), and the parent checks the child's exit status.
 *
 * The child is spawned (posix_spawn of argv[0], CreateProcess on Windows),
 * not just forked: the Go runtime's threads are already running when main
 * starts, and a forked child would have the runtime without its threads.
 *
 * Two processes have two clocks, so each side's dt is the real time that
 * passed since its last update: a stall of one side must not look like
 * seconds of silence to the other.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "net.h"
#include "platform.h"

/* The child process: spawned with --client <address>, polled for an early
 * exit, waited for; child_exited and child_wait give its exit code. */
#ifdef _WIN32
typedef PROCESS_INFORMATION child_process;

static void child_spawn(child_process *c, const char *self, const char *addr)
{
    char exe[MAX_PATH], cmd[MAX_PATH + 64];
    STARTUPINFOA si;
    (void)self;
    CHECK(GetModuleFileNameA(NULL, exe, sizeof exe) > 0);
    snprintf(cmd, sizeof cmd, "\"%s\" --client %s", exe, addr);
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    CHECK(CreateProcessA(exe, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, c));
    CloseHandle(c->hThread);
}

static int child_exit_code(child_process *c)
{
    DWORD code = 1;
    CHECK(GetExitCodeProcess(c->hProcess, &code));
    CloseHandle(c->hProcess);
    return (int)code;
}

/* 1 and the exit code in *code when the child has ended. */
static int child_exited(child_process *c, int *code)
{
    if (WaitForSingleObject(c->hProcess, 0) != WAIT_OBJECT_0)
        return 0;
    *code = child_exit_code(c);
    return 1;
}

static int child_wait(child_process *c)
{
    CHECK_EQ(WaitForSingleObject(c->hProcess, INFINITE), WAIT_OBJECT_0);
    return child_exit_code(c);
}
#else
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

typedef pid_t child_process;

/* Cross-built, the child runs under the emulator named in
 * LY_TEST_EMULATOR (words split at spaces; ctest sets it from
 * CMAKE_CROSSCOMPILING_EMULATOR): qemu-user does not follow an exec into a
 * foreign binary by itself. */
static void child_spawn(child_process *c, const char *self, const char *addr)
{
    static char emu[512];
    char *argv[16], *word;
    int argc = 0;
    if (getenv("LY_TEST_EMULATOR") != NULL)
        snprintf(emu, sizeof emu, "%s", getenv("LY_TEST_EMULATOR"));
    for (word = strtok(emu, " "); word != NULL && argc < 12; word = strtok(NULL, " "))
        argv[argc++] = word;
    argv[argc++] = (char *)self;
    argv[argc++] = "--client";
    argv[argc++] = (char *)addr;
    argv[argc] = NULL;
    CHECK_EQ(posix_spawnp(c, argv[0], NULL, NULL, argv, environ), 0);
}

static int exit_code(int status)
{
    CHECK(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static int child_exited(child_process *c, int *code)
{
    int status = 0;
    if (waitpid(*c, &status, WNOHANG) != *c)
        return 0;
    *code = exit_code(status);
    return 1;
}

static int child_wait(child_process *c)
{
    int status = 0;
    pid_t w;
    do
        w = waitpid(*c, &status, 0);
    while (w < 0 && errno == EINTR);
    CHECK_EQ(w, *c);
    return exit_code(status);
}
#endif

enum { COUNT = 100, WINDOW = 10, CLIENT_ID = 4242 };

static uint32_t payload_size(int i) { return 2 + (uint32_t)(i * 97) % (LY_MAX_PAYLOAD_SIZE - 1); }

static void payload_fill(uint8_t *p, int i)
{
    uint32_t j, n = payload_size(i);
    p[0] = (uint8_t)i;
    for (j = 1; j < n; j++)
        p[j] = (uint8_t)(i * 7 + j * 11);
}

/* Seconds since the last call: the dt of a real game loop. */
static double elapsed(struct timespec *last)
{
    struct timespec now;
    double dt;
    clock_gettime(CLOCK_MONOTONIC, &now);
    dt = (double)(now.tv_sec - last->tv_sec) + (double)(now.tv_nsec - last->tv_nsec) / 1e9;
    *last = now;
    return dt < 0 ? 0 : dt;
}

static int run_client(const char *addr)
{
    uint8_t out[LY_MAX_PAYLOAD_SIZE], in[LY_MAX_PAYLOAD_SIZE];
    int echoed[COUNT] = {0};
    int sent = 0, got = 0, n, step;
    ly_client *c;
    struct timespec last;

    c = client_manual(addr, CLIENT_ID);
    CHECK_OK(ly_client_connect(c));
    clock_gettime(CLOCK_MONOTONIC, &last);
    for (step = 0; step < 200000 && got < COUNT; step++) {
        int st;
        CHECK_OK(ly_client_update(c, elapsed(&last)));
        st = client_state(c);
        CHECK(st >= LY_STATE_DISCONNECTED);
        if (st == LY_STATE_CONNECTED) {
            while (sent < COUNT && sent - got < WINDOW) {
                payload_fill(out, sent);
                CHECK_OK(ly_client_send(c, out, payload_size(sent)));
                sent++;
            }
        }
        while ((n = ly_client_receive(c, in, sizeof in, NULL)) > 0) {
            int i = in[0];
            CHECK(i < sent && !echoed[i]);
            CHECK_EQ(n, payload_size(i));
            payload_fill(out, i);
            CHECK(memcmp(in, out, (size_t)n) == 0);
            echoed[i] = 1;
            got++;
        }
        CHECK(n == 0);
        nap_us(200);
    }
    CHECK_EQ(got, COUNT);
    /* Leave as Unity would when play stops: ly_shutdown disconnects the
     * client, telling the server, and frees it. */
    CHECK_OK(ly_shutdown());
    CHECK_EQ(ly_client_destroy(c), LY_ERR_INVALID_HANDLE);
    return check_summary("test_two_process (client)");
}

static int run_server(const char *self)
{
    char addr[LY_ADDRESS_STRING_SIZE];
    uint8_t buf[LY_MAX_PAYLOAD_SIZE];
    int code = -1, running = 1, echoed = 0, connected = 0, gone = 0, step, r;
    child_process child;
    ly_server *s;
    ly_event ev;
    struct timespec last;

    s = server_start("127.0.0.1:0", 4, addr);
    child_spawn(&child, self, addr);

    clock_gettime(CLOCK_MONOTONIC, &last);
    for (step = 0; step < 200000 && !gone; step++) {
        CHECK_OK(ly_server_update(s, elapsed(&last)));
        while ((r = ly_server_poll(s, &ev, buf, sizeof buf)) == 1) {
            CHECK_EQ(ev.client.id, CLIENT_ID);
            if (ev.type == LY_EVENT_CONNECTED) {
                connected++;
            } else if (ev.type == LY_EVENT_PAYLOAD) {
                CHECK_OK(ly_server_send(s, ev.client, buf, ev.payload_size));
                echoed++;
            } else {
                CHECK_EQ(ev.type, LY_EVENT_DISCONNECTED);
                CHECK_EQ(ev.reason, LY_REASON_REMOTE);
                gone = 1;
            }
        }
        CHECK_EQ(r, 0);
        /* A child that died early must not keep us waiting. */
        if (step % 64 == 0 && child_exited(&child, &code)) {
            CHECK_EQ(code, 0);
            running = 0;
            break;
        }
        nap_us(200);
    }
    if (running)
        code = child_wait(&child);
    CHECK_EQ(code, 0);
    CHECK_EQ(connected, 1);
    CHECK_EQ(echoed, COUNT);
    /* The child exits right after leaving; the packets are sent. */
    for (step = 0; step < 1000 && !gone; step++) {
        CHECK_OK(ly_server_update(s, elapsed(&last)));
        while (ly_server_poll(s, &ev, buf, sizeof buf) == 1)
            if (ev.type == LY_EVENT_DISCONNECTED) {
                CHECK_EQ(ev.reason, LY_REASON_REMOTE);
                gone = 1;
            }
        nap_us(200);
    }
    CHECK(gone);
    CHECK_EQ(ly_server_num_connected(s), 0);
    CHECK_OK(ly_server_destroy(s));
    return check_summary("test_two_process (server)");
}

int main(int argc, char **argv)
{
    test_watchdog(25); /* a hang is a failure, never a stuck test run */
    if (argc == 3 && strcmp(argv[1], "--client") == 0)
        return run_client(argv[2]);
    return run_server(argv[0]);
}
