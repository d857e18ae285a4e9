/*
 * test_two_process.c - a server in this process, a client in a child
 * process (this program run again with --client), talking over UDP on
 * 127.0.0.1. The server's address goes to the child through a pipe; the
 * child sends 100 payloads, the server echoes each, the child checks the
 * echoes and leaves through ly_shutdown (which must tell the server), and
 * the parent checks the child's exit status.
 *
 * The child is spawned (fork + exec of argv[0]), not just forked: the Go
 * runtime's threads are already running when main starts, and a forked
 * child would have the runtime without its threads. Cross-built, the
 * child runs under the emulator named in LY_TEST_EMULATOR (words split at
 * spaces; ctest sets it to CMAKE_CROSSCOMPILING_EMULATOR): qemu-user does
 * not follow an exec into a foreign binary by itself.
 *
 * Two processes have two clocks, so each side's dt is the real time that
 * passed since its last update: a stall of one side must not look like
 * seconds of silence to the other.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "net.h"

extern char **environ;

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

static int run_client(int fd)
{
    char addr[LY_ADDRESS_STRING_SIZE];
    uint8_t out[LY_MAX_PAYLOAD_SIZE], in[LY_MAX_PAYLOAD_SIZE];
    int echoed[COUNT] = {0};
    int sent = 0, got = 0, n, step;
    size_t len = 0;
    ly_client *c;
    struct timespec last;

    /* The address, until the parent closes its end. */
    while (len < sizeof addr - 1 && (n = (int)read(fd, addr + len, sizeof addr - 1 - len)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        CHECK(n > 0);
        len += (size_t)n;
    }
    addr[len] = '\0';
    close(fd);
    CHECK(len > 0);

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
    char addr[LY_ADDRESS_STRING_SIZE], fdarg[16], emu[512] = "";
    char *argv[16], *word;
    int argc = 0;
    uint8_t buf[LY_MAX_PAYLOAD_SIZE];
    posix_spawn_file_actions_t fa;
    int pipefd[2], status = 0, echoed = 0, connected = 0, gone = 0, step, r;
    pid_t pid, w;
    ly_server *s;
    ly_event ev;
    struct timespec last;

    s = server_start("127.0.0.1:0", 4, addr);
    CHECK_EQ(pipe(pipefd), 0);
    snprintf(fdarg, sizeof fdarg, "%d", pipefd[0]);
    if (getenv("LY_TEST_EMULATOR") != NULL)
        snprintf(emu, sizeof emu, "%s", getenv("LY_TEST_EMULATOR"));
    for (word = strtok(emu, " "); word != NULL && argc < 12; word = strtok(NULL, " "))
        argv[argc++] = word;
    argv[argc++] = (char *)self;
    argv[argc++] = "--client";
    argv[argc++] = fdarg;
    argv[argc] = NULL;
    CHECK_EQ(posix_spawn_file_actions_init(&fa), 0);
    CHECK_EQ(posix_spawn_file_actions_addclose(&fa, pipefd[1]), 0);
    CHECK_EQ(posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[0]);
    CHECK_EQ(write(pipefd[1], addr, strlen(addr)), (long)strlen(addr));
    close(pipefd[1]);

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
        if (step % 64 == 0 && waitpid(pid, &status, WNOHANG) == pid) {
            CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
            pid = -1;
            break;
        }
        nap_us(200);
    }
    if (pid > 0) {
        do
            w = waitpid(pid, &status, 0);
        while (w < 0 && errno == EINTR);
        CHECK_EQ(w, pid);
    }
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
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
    alarm(25); /* a hang is a failure, never a stuck test run */
    if (argc == 3 && strcmp(argv[1], "--client") == 0)
        return run_client(atoi(argv[2]));
    return run_server(argv[0]);
}
